from django.contrib.auth.tokens import PasswordResetTokenGenerator


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    """One-time token: it stops working once the address is verified."""

    key_salt = "marketplace.accounts.tokens.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.email}{user.email_verified_at}{user.is_active}{timestamp}"


email_verification_token = EmailVerificationTokenGenerator()
