"""Currencies a payment may be in, and how many decimals each has in Stripe's minor units.

Every ISO 4217 code in active use is listed; the database refuses any other (payments models'
check constraints). Stripe counts amounts in the currency's minor unit: two decimals for most,
none for the zero-decimal currencies (JPY, KRW, …), three for the three-decimal ones (KWD, BHD, …).
ISK, HUF and TWD are sent with two decimals as Stripe asks.
"""

ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())

ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
    BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS
    GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW
    KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD
    NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD
    SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES
    VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWG
    """.split()
)

ALLOWED_CURRENCIES = tuple(sorted(ISO_4217))


def exponent(currency: str) -> int:
    """Decimals of `currency`'s minor unit at Stripe. Raises ValueError for an unknown code."""
    code = (currency or "").upper()
    if code not in ISO_4217:
        raise ValueError(f"Unknown currency code: {currency!r}")
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2
