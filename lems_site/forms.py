"""The sign-in forms: the main one and the admin's."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class UserNameLengthMixin:
    """Refuses a user name longer than the user model allows.

    AuthenticationForm sets the field's max_length only for the widget, after the field's
    validators are built, so an over-long name reached authentication, whose failed-attempt
    record (django-axes) holds 255 characters: PostgreSQL refused it with a 500.
    """

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))


class SignInForm(UserNameLengthMixin, AuthenticationForm):
    """Django's sign-in form, refusing an over-long user name."""


class AdminSignInForm(UserNameLengthMixin, AdminAuthenticationForm):
    """The admin's sign-in form (staff only), refusing an over-long user name."""
