import base64
import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from marketplace.core import navigation
from marketplace.core.forms import apply_errors

from . import selectors, services, two_factor
from .forms import (
    AcceptInvitationForm,
    EnterpriseSignupForm,
    InvitationForm,
    OTPTokenForm,
    SignInForm,
    VerifyPasswordForm,
)
from .models import Invitation

SIGNED_UP_SESSION_KEY = "accounts_signed_up_user"
UNVERIFIED_SESSION_KEY = "accounts_unverified_user"
OTP_SETUP_SESSION_KEY = "accounts_otp_setup_key"

BACKEND = "marketplace.accounts.backends.EmailOrUsernameBackend"


def signup(request):
    if request.user.is_authenticated:
        return redirect("accounts:dashboard")
    form = EnterpriseSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, _organization = services.register_enterprise(
                email=data["email"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                organization_name=data["organization_name"],
                organization_name_en=data["organization_name_en"],
                size_class=data["size_class"],
                credit_code=data["credit_code"],
                province=data["province"],
                city=data["city"],
                specialised_innovative=data["specialised_innovative"],
                little_giant=data["little_giant"],
                language=get_language(),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            # The same page whether the address was new or already registered (then its owner gets an email).
            if user is not None:
                request.session[SIGNED_UP_SESSION_KEY] = user.pk
            email = services.normalize_email(data["email"])
            return render(request, "accounts/signup_done.html", {"email": email})
    return render(request, "accounts/signup.html", {"form": form})


def verify(request, uidb64, token):
    """The emailed link verifies at once in the browser that signed up; elsewhere it asks for the password."""
    user = services.user_for_verification(uidb64, token)
    if user is None:
        return render(request, "accounts/verify_failed.html", status=400)
    same_browser = request.session.get(SIGNED_UP_SESSION_KEY) == user.pk
    form = VerifyPasswordForm(request.POST or None)
    if same_browser or (request.method == "POST" and form.is_valid()):
        password = None if same_browser else form.cleaned_data["password"]
        verified = services.verify_email(uidb64, token, password=password, same_browser=same_browser)
        if verified is not None:
            request.session.pop(SIGNED_UP_SESSION_KEY, None)
            login(request, verified, backend=BACKEND)
            messages.success(request, _("Your email address is verified. Welcome!"))
            return redirect("accounts:dashboard")
        form.add_error("password", _("This is not the password chosen when signing up."))
    return render(request, "accounts/verify.html", {"form": form, "email": user.email})


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm

    def form_invalid(self, form):
        if form.unverified_user is not None:
            self.request.session[UNVERIFIED_SESSION_KEY] = form.unverified_user.pk
        return super().form_invalid(form)


@require_POST
def resend_verification(request):
    """Send the verification link again to the unverified account whose password was just given."""
    pk = request.session.get(UNVERIFIED_SESSION_KEY)
    user = get_user_model().objects.filter(pk=pk).first() if pk else None
    if user is None or not services.is_claimable(user):
        messages.error(request, _("Sign in with your email address and password first."))
    elif services.resend_verification(user):
        messages.success(request, _("We sent a new confirmation link to %(email)s.") % {"email": user.email})
    else:
        messages.error(request, _("Too many links were sent to this address. Try again in an hour."))
    return redirect("accounts:login")


@login_required
def dashboard(request):
    return render(
        request,
        "accounts/dashboard.html",
        {
            "memberships": selectors.memberships_of(request.user),
            "dashboard_groups": navigation.dashboard_groups(request.user),
            "opens_back_office": selectors.opens_back_office(request.user),
        },
    )


@login_required
def members(request, pk):
    organization = selectors.organization_for_member_or_404(request.user, pk)
    may_invite = selectors.can_invite(request.user, organization)
    form = InvitationForm(request.POST or None, organization=organization) if may_invite else None
    if request.method == "POST":
        if not may_invite:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.invite(
                    inviter=request.user,
                    organization=organization,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
                return redirect("accounts:members", pk=organization.pk)
    invitations = (
        organization.invitations.filter(accepted_at=None, revoked_at=None).order_by("-created_at")
        if may_invite
        else Invitation.objects.none()
    )
    return render(
        request,
        "accounts/members.html",
        {
            "organization": organization,
            "members": selectors.members_of(organization),
            "form": form,
            "invitations": invitations,
            "may_invite": may_invite,
        },
    )


@login_required
@require_POST
def revoke_invitation(request, pk):
    invitation = get_object_or_404(Invitation, pk=pk)
    # Another organisation's invitation answers exactly like a missing one.
    selectors.organization_for_member_or_404(request.user, invitation.organization_id)
    if not selectors.can_invite(request.user, invitation.organization):
        raise PermissionDenied
    services.revoke_invitation(request.user, invitation)
    messages.success(request, _("Invitation revoked."))
    return redirect("accounts:members", pk=invitation.organization_id)


def invitation(request, token):
    invite = services.open_invitation_or_none(token)
    if invite is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    account = get_user_model().objects.filter(email__iexact=invite.email).order_by("pk").first()
    # An account nobody verified (someone else may have created it) is claimed by the invitee through this form.
    existing = account is not None and not services.is_claimable(account)
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                services.accept_invitation(invite, user=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return redirect("accounts:invitation", token=token)
            messages.success(request, _("You have joined %(org)s.") % {"org": invite.organization})
            return redirect("accounts:dashboard")
        return render(request, "accounts/invitation.html", {"invitation": invite, "form": None})
    if existing:
        return render(request, "accounts/invitation.html", {"invitation": invite, "form": None, "sign_in": True})
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, _membership = services.accept_invitation(
                invite,
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                language=get_language(),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            login(request, user, backend=BACKEND)
            messages.success(request, _("You have joined %(org)s.") % {"org": invite.organization})
            return redirect("accounts:dashboard")
    return render(request, "accounts/invitation.html", {"invitation": invite, "form": form})


def _next_url(request, default="accounts:dashboard"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return redirect(default).url


def _qr_data_uri(text):
    out = io.BytesIO()
    qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage).save(out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


@login_required
def otp_setup(request):
    """Turn on two-factor sign-in: scan the QR code (or type the key), then confirm with a code."""
    if two_factor.has_device(request.user):
        return render(request, "accounts/otp_status.html", {"required": two_factor.must_use_two_factor(request.user)})
    # The new key waits in the session until a code confirms it: opening the page stores nothing.
    key = request.session.get(OTP_SETUP_SESSION_KEY) or default_key()
    request.session[OTP_SETUP_SESSION_KEY] = key
    device = TOTPDevice(user=request.user, name=_("Authenticator app"), key=key, confirmed=False)
    form = OTPTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        if services.hit_limit(f"accounts:otp-setup:{request.user.pk}", 10, 15 * 60):
            form.add_error("token", _("Too many codes were tried. Wait a quarter of an hour."))
        elif totp.verify(int(form.cleaned_data["token"]), tolerance=device.tolerance):
            device.confirmed = True
            device.last_t = totp.t()
            device.drift = totp.drift
            device.save()
            request.session.pop(OTP_SETUP_SESSION_KEY, None)
            otp_login(request, device)
            request.session[two_factor.SESSION_KEY] = "verify"
            messages.success(request, _("Two-factor sign-in is on."))
            return redirect(_next_url(request))
        else:
            form.add_error("token", _("This code is not valid. Check the time on your phone and try again."))
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "qr": _qr_data_uri(device.config_url),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "required": two_factor.must_use_two_factor(request.user),
            "next": request.GET.get("next", ""),
        },
    )


@login_required
def otp_verify(request):
    """The second step of signing in: a code from the authenticator app."""
    devices = list(two_factor.confirmed_devices(request.user))
    if not devices:
        two_factor.remember_second_step(request, request.user)
        return redirect("accounts:otp_setup" if two_factor.must_use_two_factor(request.user) else "accounts:dashboard")
    form = OTPTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in devices:
            verified = verify_token(request.user, device.persistent_id, form.cleaned_data["token"])
            if verified is not None:
                otp_login(request, verified)
                return redirect(_next_url(request))
        form.add_error("token", _("This code is not valid. Wait for the next one and try again."))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": request.GET.get("next", "")})


@login_required
def otp_disable(request):
    """Turn two-factor sign-in off: needs a current code."""
    devices = list(two_factor.confirmed_devices(request.user))
    if not devices:
        return redirect("accounts:otp_setup")
    form = OTPTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if any(verify_token(request.user, d.persistent_id, form.cleaned_data["token"]) for d in devices):
            TOTPDevice.objects.filter(user=request.user).delete()
            two_factor.remember_second_step(request, request.user)
            messages.success(request, _("Two-factor sign-in is off."))
            return redirect("accounts:dashboard")
        form.add_error("token", _("This code is not valid. Wait for the next one and try again."))
    return render(
        request, "accounts/otp_disable.html", {"form": form, "required": two_factor.must_use_two_factor(request.user)}
    )
