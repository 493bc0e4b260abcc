"""The LoginID backend: docs/protocol.md, "LoginID's API" (``/fido2/v2``), over HTTPS.

Backend calls carry a service token (an ES256 JWT signed with the tenant key kept in
Secrets Manager) or, for newer tenants, ``Basic base64url("<api key id>:")``. The key and
the token are cached for the life of the container. LoginID's ceremony ``session`` is the
only state kept between Create and Verify; the grant token for registration and passkey
management is fetched when needed and never leaves this module.

LoginID keys passkeys by user name, so the Cognito ``sub`` the interface passes is not used
here: a deployment that deletes Cognito users must delete them at LoginID as well.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

import jwt
from cognito_passkey.lambdas import decoys, errors
from cognito_passkey.lambdas.answers import Assertion, Attestation
from cognito_passkey.lambdas.backends.base import (
    Ceremony,
    RegistrationRequest,
    check_passkey_name,
)
from cognito_passkey.lambdas.backends.http import ApiError, HttpError, request_json
from cognito_passkey.lambdas.backends.service_token import (
    ServiceTokens,
    basic_api_key,
    fetch_secret,
)
from cognito_passkey.lambdas.config import Settings
from cognito_passkey.lambdas.errors import Rejected
from cognito_passkey.lambdas.log import log_rejection, logger
from cognito_passkey.protocol import backends, tokens
from cognito_passkey.protocol.management import Passkey

_GRANTS_REGISTER = ["passkey:read", "passkey:write", "reg:write"]
_GRANTS_READ = ["passkey:read"]
_GRANTS_WRITE = ["passkey:read", "passkey:write"]
_DECOY_STATE = json.dumps({"v": 1, "decoy": True}, separators=(",", ":"))


class LoginIdBackend:
    """Passkeys kept by LoginID; this Lambda only relays ceremonies and checks results."""

    name = backends.LOGINID

    def __init__(
        self,
        settings: Settings,
        *,
        load_secret: Callable[[str], str] = fetch_secret,
        timeout: float = 5.0,
    ) -> None:
        self.settings = settings
        self.base_url = settings.loginid_base_url.rstrip("/")
        self.app_id = settings.loginid_app_id
        self.timeout = timeout
        self._load_secret = load_secret
        host = urlsplit(self.base_url).hostname or ""
        self._tokens = (
            ServiceTokens(host, lambda: load_secret(settings.loginid_secret_name))
            if settings.loginid_secret_name
            else None
        )
        self._decoy_key: bytes | None = None
        self._request_template: dict[str, Any] = {}
        self._creation_template: dict[str, Any] = {}

    # Plumbing -----------------------------------------------------------------------

    def _api_key_id(self) -> str:
        """The API key id: from its Secrets Manager secret (how the templates deliver it)."""
        if self.settings.loginid_api_key_secret_name:
            return self._load_secret(self.settings.loginid_api_key_secret_name).strip()
        return self.settings.loginid_api_key_id

    def _service_auth(self) -> str:
        if self.settings.loginid_api_key_id or self.settings.loginid_api_key_secret_name:
            return basic_api_key(self._api_key_id())
        if self._tokens is None:
            raise Rejected(errors.CONFIG, "no LoginID credentials are configured")
        return "Bearer " + self._tokens.token()

    def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, bearer: str = ""
    ) -> Any:
        authorization = f"Bearer {bearer}" if bearer else self._service_auth()
        try:
            return request_json(
                method,
                self.base_url + path,
                body=body,
                headers={"Authorization": authorization},
                timeout=self.timeout,
            )
        except ApiError as exc:
            raise Rejected(
                errors.BACKEND_REJECTED, f"LoginID {path}: {exc.status} {exc.code}"
            ) from exc
        except HttpError as exc:
            raise Rejected(errors.BACKEND_UNAVAILABLE, f"LoginID {path}: {exc}") from exc

    def _user_body(self, username: str) -> dict[str, Any]:
        return {
            "app": {"id": self.app_id},
            "deviceInfo": {},
            "user": {"username": username, "usernameType": "email"},
        }

    def _grant(self, username: str, grants: list[str]) -> str:
        result = self._call(
            "POST", "/fido2/v2/mgmt/grant", {"username": username, "grants": grants}
        )
        token = result.get("token") if isinstance(result, dict) else None
        if not isinstance(token, str) or not token:
            raise Rejected(errors.BACKEND_ERROR, "LoginID returned no grant token")
        return token

    def _check_jwt_access(self, result: Any, username: str) -> None:
        """LoginID vouches for the ceremony with a jwtAccess: have it verified, check the user."""
        token = result.get("jwtAccess") if isinstance(result, dict) else None
        if not isinstance(token, str) or not token:
            raise Rejected(errors.BACKEND_ERROR, "LoginID returned no jwtAccess")
        self._call("POST", "/fido2/v2/mgmt/token/verify", {"jwtAccess": token})
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise Rejected(errors.BACKEND_ERROR, "the jwtAccess is not a JWT") from exc
        if claims.get("username") != username:
            raise Rejected(tokens.USER, "LoginID vouched for another user")
        if "aud" in claims and claims["aud"] != self.app_id:
            raise Rejected(tokens.AUDIENCE, "the jwtAccess is for another app")

    def decoy_key(self) -> bytes:
        """Per-deployment decoy key, derived from the tenant credential (never stored)."""
        if self._decoy_key is None:
            material = (
                self._tokens.key_material()
                if self._tokens is not None
                else self._api_key_id().encode()
            )
            self._decoy_key = hmac.new(b"cognito-passkey decoys", material, hashlib.sha256).digest()
        return self._decoy_key

    @staticmethod
    def _session(state: str) -> str:
        try:
            parsed = json.loads(state)
        except (ValueError, TypeError) as exc:
            raise Rejected(errors.BAD_PRIVATE_STATE, "the ceremony state is unreadable") from exc
        if not isinstance(parsed, dict):
            raise Rejected(errors.BAD_PRIVATE_STATE, "the ceremony state is unreadable")
        if parsed.get("decoy") is True:
            raise Rejected(errors.DECOY, "the challenge was a decoy")
        session = parsed.get("session")
        if not isinstance(session, str) or not session:
            raise Rejected(errors.BAD_PRIVATE_STATE, "the ceremony state has no session")
        return session

    @staticmethod
    def _state(session: Any) -> str:
        if not isinstance(session, str) or not session:
            raise Rejected(errors.BACKEND_ERROR, "LoginID returned no session")
        return json.dumps({"v": 1, "session": session}, separators=(",", ":"))

    # Decoys -------------------------------------------------------------------------

    def _decoy_request_options(self, username: str) -> dict[str, Any]:
        """Shaped like the last real assertion options (and like python-fido2's by default)."""
        options: dict[str, Any] = {"challenge": decoys.random_challenge()}
        template = self._request_template or {
            "rpId": self.settings.rp_id or None,
            "allowCredentials": None,
            "userVerification": "preferred",
        }
        for name, value in template.items():
            if value is not None:
                options[name] = value
        options["allowCredentials"] = decoys.decoy_descriptors(self.decoy_key(), username)
        return _ordered(options, template)

    def _decoy_creation_options(self, request: RegistrationRequest) -> dict[str, Any]:
        options: dict[str, Any] = dict(self._creation_template) or {
            "rp": {"id": self.settings.rp_id, "name": self.settings.rp_id}
            if self.settings.rp_id
            else {"name": self.app_id},
            "pubKeyCredParams": [
                {"type": "public-key", "alg": -7},
                {"type": "public-key", "alg": -257},
            ],
            "authenticatorSelection": {"userVerification": "preferred"},
            "attestation": "none",
        }
        options["challenge"] = decoys.random_challenge()
        options["user"] = {
            "id": base64.urlsafe_b64encode(decoys.user_handle(self.decoy_key(), request.username))
            .decode()
            .rstrip("="),
            "name": request.username,
            "displayName": request.display_name,
        }
        options["excludeCredentials"] = []
        return _apply_registration_preferences(options, request)

    # Authentication -----------------------------------------------------------------

    def begin_authentication(
        self, username: str, *, decoy: bool = False, sub: str | None = None, sealed: bool = False
    ) -> Ceremony:
        try:
            result = self._call("POST", "/fido2/v2/auth/init", self._user_body(username))
        except Rejected as exc:  # no such LoginID user or no passkey (404), or a real problem
            if exc.reason == errors.BACKEND_REJECTED and " 404 " in exc.detail:
                logger.info("decoy challenge", extra={"detail": exc.detail})
            else:
                log_rejection(exc.reason, detail=exc.detail, trigger="create", user=username)
            result, decoy = None, True
        options = result.get("assertionOptions") if isinstance(result, dict) else None
        if decoy or not isinstance(options, dict) or not options.get("allowCredentials"):
            return Ceremony(self._decoy_request_options(username), _DECOY_STATE)
        self._request_template = {  # the shape (and key order) decoys copy
            name: None if name == "allowCredentials" else value
            for name, value in options.items()
            if name != "challenge"
        }
        return Ceremony(options, self._state(result.get("session")))

    def complete_authentication(
        self, username: str, state: str, assertion: Assertion, *, sub: str | None = None
    ) -> None:
        session = self._session(state)
        response = assertion.credential.response  # its JSON view: base64url text
        result: dict[str, Any] = {
            "authenticatorData": response["authenticatorData"],
            "clientDataJSON": response["clientDataJSON"],
            "credentialId": assertion.credential.id,
            "signature": response["signature"],
        }
        if "userHandle" in response:
            result["userHandle"] = response["userHandle"]
        answer = self._call(
            "POST", "/fido2/v2/auth/complete", {"assertionResult": result, "session": session}
        )
        self._check_jwt_access(answer, username)

    # Registration -------------------------------------------------------------------

    def begin_registration(self, request: RegistrationRequest, *, decoy: bool = False) -> Ceremony:
        if decoy:
            return Ceremony(self._decoy_creation_options(request), _DECOY_STATE)
        grant = self._grant(request.username, _GRANTS_REGISTER)
        result = self._call(
            "POST", "/fido2/v2/reg/init", self._user_body(request.username), bearer=grant
        )
        options = result.get("registrationRequestOptions") if isinstance(result, dict) else None
        if not isinstance(options, dict):
            raise Rejected(errors.BACKEND_ERROR, "LoginID returned no registration options")
        self._creation_template = {
            name: value
            for name, value in options.items()
            if name not in ("challenge", "user", "excludeCredentials")
        }
        state = self._state(result.get("session"))
        return Ceremony(_apply_registration_preferences(options, request), state)

    def complete_registration(
        self, username: str, state: str, attestation: Attestation, *, sub: str | None = None
    ) -> None:
        session = self._session(state)
        response = attestation.credential.response  # its JSON view: base64url text
        creation: dict[str, Any] = {
            "attestationObject": response["attestationObject"],
            "clientDataJSON": response["clientDataJSON"],
            "credentialId": attestation.credential.id,
        }
        if attestation.transports:
            creation["transports"] = list(attestation.transports)
        answer = self._call(
            "POST", "/fido2/v2/reg/complete", {"creationResult": creation, "session": session}
        )
        self._check_jwt_access(answer, username)

    # Management ---------------------------------------------------------------------

    def list_passkeys(self, username: str, *, sub: str | None = None) -> list[Passkey]:
        grant = self._grant(username, _GRANTS_READ)
        result = self._call("GET", "/fido2/v2/passkeys", bearer=grant)
        items = result.get("passkeys", result) if isinstance(result, dict) else result
        if not isinstance(items, list):
            raise Rejected(errors.BACKEND_ERROR, "LoginID returned no passkey list")
        return [_passkey(item) for item in items if isinstance(item, dict)]

    def rename_passkey(
        self, username: str, passkey_id: str, name: str, *, sub: str | None = None
    ) -> Passkey:
        grant = self._grant(username, _GRANTS_WRITE)
        path = "/fido2/v2/passkeys/" + quote(passkey_id, safe="")
        try:
            self._call("PUT", path, {"name": check_passkey_name(name)}, bearer=grant)
        except Rejected as exc:
            raise _not_found_as_unknown(exc) from exc
        for passkey in self.list_passkeys(username):
            if passkey.id == passkey_id:
                return passkey
        raise Rejected(errors.UNKNOWN_CREDENTIAL, "no such passkey")

    def delete_passkey(self, username: str, passkey_id: str, *, sub: str | None = None) -> None:
        grant = self._grant(username, _GRANTS_WRITE)
        try:
            self._call("DELETE", "/fido2/v2/passkeys/" + quote(passkey_id, safe=""), bearer=grant)
        except Rejected as exc:
            raise _not_found_as_unknown(exc) from exc


def _not_found_as_unknown(exc: Rejected) -> Rejected:
    if exc.reason == errors.BACKEND_REJECTED and " 404 " in exc.detail:
        return Rejected(errors.UNKNOWN_CREDENTIAL, "no such passkey")
    return exc


def _ordered(options: dict[str, Any], template: dict[str, Any]) -> dict[str, Any]:
    """Keys in the order LoginID uses (the template's), so the JSON text looks the same."""
    if not template:
        return options
    order = ["challenge", *template]
    ordered = {name: options[name] for name in order if name in options}
    ordered.update({name: value for name, value in options.items() if name not in ordered})
    return ordered


def _apply_registration_preferences(
    options: dict[str, Any], request: RegistrationRequest
) -> dict[str, Any]:
    """Apply the WebSDK's ``attestation_options`` (timeout, usernameless) to the options."""
    options = dict(options)
    if not request.identified:  # an unproven caller learns nothing of the user's passkeys
        options["excludeCredentials"] = []
    if request.timeout_ms is not None:
        options["timeout"] = request.timeout_ms
    if request.require_resident_key:
        selection = dict(options.get("authenticatorSelection") or {})
        selection["residentKey"] = "required"
        selection["requireResidentKey"] = True
        options["authenticatorSelection"] = selection
    return options


def _passkey(item: dict[str, Any]) -> Passkey:
    def text(*names: str) -> str:
        for name in names:
            value = item.get(name)
            if isinstance(value, str):
                return value
        return ""

    count = item.get("signCount", item.get("sign_count", 0))
    transports = item.get("transports")
    return Passkey(
        id=text("id"),
        name=text("name"),
        created_at=text("createdAt", "created_at"),
        last_used_at=text("lastUsedAt", "last_used_at") or None,
        sign_count=count if isinstance(count, int) else 0,
        aaguid=text("aaguid"),
        transports=tuple(t for t in transports if isinstance(t, str))
        if isinstance(transports, list)
        else (),
    )
