from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace.core.ids import id_or_404

from . import selectors, services
from .forms import AcceptInvitationForm, EnterpriseSignupForm, InvitationForm
from .models import Invitation

BACKEND = "marketplace.accounts.backends.EmailOrUsernameBackend"


def _apply_errors(form, error: ValidationError):
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


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
            _apply_errors(form, error)
        else:
            return render(request, "accounts/signup_done.html", {"email": user.email})
    return render(request, "accounts/signup.html", {"form": form})


def verify(request, uidb64, token):
    user = services.verify_email(uidb64, token)
    if user is None:
        return render(request, "accounts/verify_failed.html", status=400)
    login(request, user, backend=BACKEND)
    messages.success(request, _("Your email address is verified. Welcome!"))
    return redirect("accounts:dashboard")


@login_required
def dashboard(request):
    memberships = selectors.memberships_of(request.user)
    return render(request, "accounts/dashboard.html", {"memberships": memberships})


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
                _apply_errors(form, error)
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
    invitation = get_object_or_404(Invitation, pk=id_or_404(pk))
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
    existing = services.email_taken(invite.email)
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
            _apply_errors(form, error)
        else:
            login(request, user, backend=BACKEND)
            messages.success(request, _("You have joined %(org)s.") % {"org": invite.organization})
            return redirect("accounts:dashboard")
    return render(request, "accounts/invitation.html", {"invitation": invite, "form": form})
