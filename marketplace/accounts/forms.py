from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from marketplace.core.i18n import family_name_first
from marketplace.core.links import absolute_url

from .models import Organization, Role, roles_for_kind
from .validators import validate_visible_text

NAME = {"validators": [validate_visible_text]}

credit_code_validator = RegexValidator(
    r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$",
    _("Enter the 18-character unified social credit code (digits and capital letters)."),
)


class NameOrderMixin:
    """In Chinese the form asks for the family name first (姓, then 名), in English the given name first."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if family_name_first():
            names = list(self.fields)
            first, last = names.index("first_name"), names.index("last_name")
            names[first], names[last] = names[last], names[first]
            self.order_fields(names)


class EnterpriseSignupForm(NameOrderMixin, forms.Form):
    email = forms.EmailField(label=_("Work email"))
    first_name = forms.CharField(label=_("Given name"), max_length=150, **NAME)
    last_name = forms.CharField(label=_("Family name"), max_length=150, **NAME)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)
    organization_name = forms.CharField(label=_("Enterprise name (Chinese)"), max_length=200, **NAME)
    organization_name_en = forms.CharField(label=_("Enterprise name (English)"), max_length=200, required=False, **NAME)
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=18,
        min_length=18,
        validators=[credit_code_validator],
        required=False,
    )
    size_class = forms.ChoiceField(label=_("Size class"), choices=Organization.SizeClass.choices)
    province = forms.CharField(label=_("Province"), max_length=50, required=False)
    city = forms.CharField(label=_("City"), max_length=50, required=False)
    specialised_innovative = forms.BooleanField(label=_("Specialised and innovative (专精特新)"), required=False)
    little_giant = forms.BooleanField(label=_("“Little giant” (小巨人)"), required=False)

    def clean_credit_code(self):
        return self.cleaned_data["credit_code"].strip().upper()

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            try:
                password_validation.validate_password(p1)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = roles_for_kind(organization.kind)
        self.fields["role"].choices = [(r.value, r.label) for r in Role if r in allowed]


class AcceptInvitationForm(NameOrderMixin, forms.Form):
    first_name = forms.CharField(label=_("Given name"), max_length=150, **NAME)
    last_name = forms.CharField(label=_("Family name"), max_length=150, **NAME)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            try:
                password_validation.validate_password(p1)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class SignInForm(AuthenticationForm):
    """Django's sign-in form that says so when the right password belongs to a not yet verified account.

    Only with the right password: a wrong one gets the usual message, so the form tells nothing about
    which addresses are registered.
    """

    unverified_user = None

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
            user = get_user_model().objects.filter(email__iexact=username or "").order_by("pk").first()
            if (
                user is not None
                and password
                and not user.is_active
                and user.email_verified_at is None
                and user.check_password(password)
            ):
                self.unverified_user = user
                raise forms.ValidationError(
                    _("Your email address is not verified yet. Open the link we emailed you, or have it sent again."),
                    code="unverified",
                ) from None
            raise


class VerifyPasswordForm(forms.Form):
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)


class OTPTokenForm(forms.Form):
    token = forms.RegexField(
        label=_("Code from your authenticator app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the 6-digit code.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_token(self):
        return self.cleaned_data["token"].strip()


class ResetPasswordForm(PasswordResetForm):
    """Django's password reset, whose email link is built like every other email's (`absolute_url`)."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        context["url"] = absolute_url("accounts:password_reset_confirm", uidb64=context["uid"], token=context["token"])
        super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)
