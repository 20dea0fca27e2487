"""Accounts: creating them, signing in, changing passwords, choosing a language."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace import audit, tax_ids, uploads
from marketplace.auth import passwords
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models import ROLE_ORG_KINDS, CodePurpose, Organization, Producer, Role, User
from marketplace.models.base import utcnow
from marketplace.phones import normalize_phone, phone_candidates
from marketplace.sms import codes, outbox

SELF_SERVICE_ROLES = (Role.PRODUCER, Role.SUPPLIER, Role.BUYER, Role.LENDER, Role.TECHNICIAN)


@dataclass
class SignupData:
    """What the sign-up form collects."""

    name: str
    identifier: str
    password: str
    role: str
    country: str
    join_code: str = ""
    organization_name: str = ""
    organization_kind: str = ""
    organization_tax_id: str = ""
    organization_document: bytes = b""  # optional here; "Mi organización" asks for it later
    instance_path: Path | None = None  # where the document is stored
    locale: str | None = None


def parse_identifier(raw: str, country: str | None) -> tuple[str, str]:
    """Split what the user typed into ('email', address) or ('phone', +digits)."""
    text = (raw or "").strip()
    if "@" in text:
        return "email", text.lower()
    phone = normalize_phone(text, country)
    if phone is None:
        raise DomainError(
            _l("Escriba un correo electrónico o un número de celular válido."), "identifier"
        )
    return "phone", phone


class IdentifierTaken(DomainError):
    """Sign-up with an e-mail or phone that already has an account (the person must be told to
    sign in; the view limits how often one address may hear it)."""


def _ensure_free(kind: str, value: str) -> None:
    column = User.email if kind == "email" else User.phone
    if db.session.scalar(select(User.id).where(column == value)) is not None:
        message = (
            _l("Este correo ya tiene una cuenta: ingrese con su contraseña.")
            if kind == "email"
            else _l("Este celular ya tiene una cuenta: ingrese con su contraseña.")
        )
        raise IdentifierTaken(message, "identifier")


def _organization_for(data: SignupData) -> Organization | None:
    """The organization a new member joins (by code) or founds; None for producers."""
    allowed = ROLE_ORG_KINDS.get(Role(data.role))
    if not allowed:
        return None
    code = data.join_code.strip().upper()
    if code:
        org = db.session.scalar(select(Organization).where(Organization.join_code == code))
        if org is None:
            raise DomainError(_l("No existe una organización con ese código."), "join_code")
        if org.kind not in allowed:
            raise DomainError(
                _l("Ese código es de una organización que no corresponde a su rol."), "join_code"
            )
        return org
    if not data.organization_name.strip():
        raise DomainError(
            _l("Escriba el nombre de su organización o el código para unirse a una."),
            "organization_name",
        )
    if data.organization_kind not in allowed:
        raise DomainError(
            _l("Elija un tipo de organización que corresponda a su rol."), "organization_kind"
        )
    return Organization(
        name=data.organization_name.strip(),
        kind=data.organization_kind,
        country=data.country,
        tax_id=_founding_tax_id(data),
    )


def _founding_tax_id(data: SignupData) -> str:
    """The new organization's tax id, checked for the sign-up's country: verification starts
    with it (and the document, here or later from "Mi organización")."""
    try:
        return tax_ids.parse(data.country, data.organization_tax_id)
    except DomainError as error:
        raise DomainError(error.message, "organization_tax_id") from None


def _check_new_password(password: str, identifiers: list[str | None], field: str) -> None:
    problem = passwords.problem(password, identifiers)
    if problem is not None:
        raise DomainError(problem, field)


def sign_up(data: SignupData) -> User:
    """Create an account (and its organization when it founds one) in one transaction."""
    if data.role not in SELF_SERVICE_ROLES:
        raise DomainError(_l("Elija un rol de la lista."), "role")
    kind, value = parse_identifier(data.identifier, data.country)
    _check_new_password(data.password, [data.name, data.identifier, value], "password")
    _ensure_free(kind, value)
    organization = _organization_for(data)
    founds_organization = organization is not None and organization.id is None
    document = data.organization_document if founds_organization else b""
    suffix = uploads.document_suffix(document, "organization_document") if document else None
    user = User(
        name=data.name.strip(),
        role=data.role,
        country=data.country,
        locale=data.locale,
        organization=organization,
        **{kind: value},
    )
    user.set_password(data.password)
    stored = None
    if document:
        stored = uploads.store(data.instance_path, uploads.DOCUMENT_DIR, document, suffix)
        organization.document_path = str(stored)
    db.session.add(user)
    db.session.flush()
    audit.record(user, "user.signed_up", user, role=user.role)
    if founds_organization:
        audit.record(
            user,
            "organization.created",
            organization,
            kind=organization.kind,
            document=bool(document),
        )
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()  # before the store forgets the file (it may share the database)
        uploads.remove(data.instance_path, stored)
        raise
    return user


def account_key(identifier: str) -> str:
    """One name for an account however its identifier is typed, for the sign-in limit: the
    lower-case e-mail, or a phone's last nine digits (with or without the country code)."""
    text = (identifier or "").strip().lower()
    if "@" in text:
        return text
    digits = "".join(c for c in text if c.isdigit())
    return digits[-9:] if len(digits) >= 9 else text


def find_user(identifier: str) -> User | None:
    """The account an identifier typed at sign-in names, if exactly one matches."""
    text = (identifier or "").strip()
    if "@" in text:
        return db.session.scalar(select(User).where(User.email == text.lower()))
    candidates = phone_candidates(text)
    if not candidates:
        return None
    users = db.session.scalars(select(User).where(User.phone.in_(candidates))).all()
    return users[0] if len(users) == 1 else None


@cache
def dummy_hash() -> str:
    """A hash made like real ones, checked when no account matches so that the answer takes as
    long for an unknown account as for a known one."""
    return generate_password_hash("minka-no-account")


def authenticate(identifier: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer, same time, for every
    failure)."""
    user = find_user(identifier)
    if user is None:
        check_password_hash(dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Replace the password after checking the current one."""
    if not user.check_password(current):
        raise DomainError(_l("La contraseña actual no es correcta."), "current_password")
    _check_new_password(new, [user.name, user.email, user.phone], "password")
    user.set_password(new)
    user.end_sessions()
    audit.record(user, "user.password_changed", user)
    db.session.commit()


def sign_out(user: User) -> None:
    """End every session and remember-me cookie of the user, on every device."""
    user.end_sessions()
    db.session.commit()


def set_language(user: User | None, language: str) -> None:
    """Save the language a signed-in user chose."""
    if user is not None:
        user.locale = language
        db.session.commit()


# --- a forgotten password, reset with a code sent by SMS -----------------------------------
#
# Whether a mobile number has an account is never said: asking for a code answers the same
# for any number, and the code goes out after the request (sms.outbox), so the answer takes
# as long either way. Entering a code for a number without one fails like a wrong code.

WRONG_CODE = _l("El código no es correcto o ya venció. Revise el SMS o pida otro código.")


def account_with_mobile(typed: str) -> User | None:
    """The active account whose mobile is `typed`: its sign-in phone, else the phone of its
    producer record; None when none or several match."""
    candidates = phone_candidates(typed)
    if not candidates:
        return None
    users = db.session.scalars(select(User).where(User.phone.in_(candidates))).all()
    if not users:
        users = db.session.scalars(
            select(User)
            .join(Producer, Producer.user_id == User.id)
            .where(Producer.phone.in_(candidates), Producer.erased_at.is_(None))
        ).all()
    if len(users) != 1 or not users[0].active:
        return None
    return users[0]


def _mobile_of(user: User) -> str | None:
    if user.phone:
        return user.phone
    return db.session.scalar(select(Producer.phone).where(Producer.user_id == user.id))


def request_password_reset(typed: str) -> None:
    """Send a reset code to the account with this mobile, if there is one (nothing says)."""
    user = account_with_mobile(typed)
    mobile = _mobile_of(user) if user is not None else None
    if user is None or mobile is None:
        # the same work as a real request: a code made, hashed and stored (for no account,
        # so nothing can ever match it), then sent nowhere
        codes.issue(CodePurpose.PASSWORD_RESET, None)
        db.session.commit()
        return
    code = codes.issue(CodePurpose.PASSWORD_RESET, user.id)
    outbox.code_message(mobile, "auth.reset_code", code, user.locale or "es", user_id=user.id)
    audit.record(user, "user.reset_code_sent", user)
    db.session.commit()


def reset_password(typed_mobile: str, code: str, new: str) -> User:
    """Set a new password with the code sent to the mobile; every session ends."""
    # The rules that need no account first, so a weak password is refused alike for every
    # number; the account's own words only once the code proved the number is hers.
    _check_new_password(new, [typed_mobile], "password")
    user = account_with_mobile(typed_mobile)
    row = codes.live(CodePurpose.PASSWORD_RESET, user.id if user is not None else None)
    if not codes.check(row, code):
        raise DomainError(WRONG_CODE, "code")
    try:
        _check_new_password(new, [user.name, user.email, user.phone], "password")
    except DomainError:
        db.session.rollback()  # the code stays good for a better password
        raise
    user.set_password(new)
    user.end_sessions()
    audit.record(user, "user.password_reset", user)
    db.session.commit()
    return user
