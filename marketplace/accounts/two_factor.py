"""Two-factor sign-in (TOTP, django-otp): who may or must use it, and the middleware that asks for it.

A signed-in person with a confirmed authenticator device must enter a code (`accounts:otp_verify`) before
any page, the Wagtail admin included, whatever login page they came through. With OTP_REQUIRED_FOR_STAFF
on, platform staff and TTO officers without a device are sent to set one up (`accounts:otp_setup`) first.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Membership, Role


def confirmed_devices(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True)


def has_device(user) -> bool:
    return user.is_authenticated and confirmed_devices(user).exists()


def is_privileged(user) -> bool:
    """People who can publish, confirm payments and export figures: platform staff and TTO officers."""
    if not user.is_authenticated:
        return False
    return user.is_staff or user.is_superuser or Membership.objects.filter(user=user, role=Role.TTO_OFFICER).exists()


def must_use_two_factor(user) -> bool:
    return bool(getattr(settings, "OTP_REQUIRED_FOR_STAFF", False)) and is_privileged(user)


SESSION_KEY = "accounts_second_step"  # "verify", "setup" or "": worked out once per sign-in


def second_step(user) -> str:
    if has_device(user):
        return "verify"
    if must_use_two_factor(user):
        return "setup"
    return ""


def remember_second_step(request, user):
    request.session[SESSION_KEY] = second_step(user)


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        remember_second_step(request, user)


class TwoFactorMiddleware:
    """After django-otp's OTPMiddleware: sends half-signed-in sessions to the second step."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._exempt = None

    def is_exempt(self, path):
        """The second step's own pages, signing out, static files and the language switch."""
        if self._exempt is None:
            names = ("accounts:otp_verify", "accounts:otp_setup", "accounts:logout", "wagtailadmin_logout")
            self._exempt = (
                frozenset(reverse(name) for name in names),
                (settings.STATIC_URL, "/i18n/", "/jsi18n/", "/language/"),
            )
        paths, prefixes = self._exempt
        return path in paths or path.startswith(prefixes)

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not self.is_exempt(request.path):
            step = request.session.get(SESSION_KEY)
            if step is None:  # a session from before this sign-in rule: work it out now
                remember_second_step(request, user)
                step = request.session[SESSION_KEY]
            if step and not user.is_verified():
                if step == "verify" or has_device(user):
                    return self._send_to("accounts:otp_verify", request)
                return self._send_to("accounts:otp_setup", request)
        return self.get_response(request)

    @staticmethod
    def _send_to(name, request):
        return redirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")
