"""The exchange's state machine with botocore's Stubber: retries, odd answers, error mapping."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from cognito_passkey.client import PasskeyClient
from cognito_passkey.client import errors as e
from cognito_passkey.client.cognito import RetryPolicy, secret_hash, translate_client_error

from .conftest import CLIENT_ID, POOL_ID, closed_url

OPTIONS = {"challenge": "Y2hhbGxlbmdl", "rpId": "example.com", "allowCredentials": []}
S1 = "session-one-" + "x" * 24
S2 = "session-two-" + "y" * 24
RESULT = {"IdToken": "a.b.c", "AccessToken": "d.e.f", "RefreshToken": "r", "ExpiresIn": 60}


class RecordingAuthenticator:
    """Returns a fixed, well-formed assertion and remembers what it was asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], str, str]] = []

    def get(self, options: Any, *, origin: str, rp_id: str) -> dict[str, Any]:
        self.calls.append(("get", dict(options), origin, rp_id))
        return {
            "id": "Y3JlZA",
            "rawId": "Y3JlZA",
            "type": "public-key",
            "response": {"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA"},
            "clientExtensionResults": {},
        }

    def create(self, options: Any, *, origin: str, rp_id: str) -> dict[str, Any]:
        raise AssertionError("not used")


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture(scope="module")
def boto_session() -> boto3.session.Session:
    """One session for the module: its loader caches the service model."""
    return boto3.session.Session(region_name="eu-west-1")


@pytest.fixture
def client(sleeps: Sleeps, boto_session: boto3.session.Session) -> PasskeyClient:
    return PasskeyClient(
        user_pool_id=POOL_ID,
        client_id=CLIENT_ID,
        authenticator=RecordingAuthenticator(),
        origin="https://example.com",
        endpoint_url="http://127.0.0.1:9",
        boto_session=boto_session,
        retry=RetryPolicy(
            attempts=4, base_delay=0.5, max_delay=1.5, sleep=sleeps, jitter=lambda: 1.0
        ),
    )


@pytest.fixture
def stub(client: PasskeyClient) -> Iterator[Stubber]:
    with Stubber(client.api.client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def initiate(stub: Stubber, params: dict[str, str], session: str = S1) -> None:
    stub.add_response(
        "initiate_auth",
        {"ChallengeName": "CUSTOM_CHALLENGE", "Session": session, "ChallengeParameters": params},
        {"AuthFlow": "CUSTOM_AUTH", "ClientId": CLIENT_ID, "AuthParameters": {"USERNAME": "alice"}},
    )


def respond_expect(answer: Any, metadata: dict[str, str], session: str = S1) -> dict[str, Any]:
    return {
        "ClientId": CLIENT_ID,
        "ChallengeName": "CUSTOM_CHALLENGE",
        "Session": session,
        "ChallengeResponses": {"USERNAME": "alice", "ANSWER": answer},
        "ClientMetadata": metadata,
    }


def test_three_call_dialect(client: PasskeyClient, stub: Stubber) -> None:
    initiate(stub, {"challenge": "AUTH_PARAMS", "USERNAME": "alice"})
    stub.add_response(
        "respond_to_auth_challenge",
        {
            "ChallengeName": "CUSTOM_CHALLENGE",
            "Session": S2,
            "ChallengeParameters": {"public_key": json.dumps(OPTIONS)},
        },
        respond_expect("AUTH_PARAMS", {"authentication_type": "FIDO2_GET"}),
    )
    stub.add_response(
        "respond_to_auth_challenge",
        {"AuthenticationResult": RESULT, "ChallengeParameters": {}},
        respond_expect(ANY, {"authentication_type": "FIDO2_GET"}, session=S2),
    )
    tokens = client.sign_in_passkey("alice")
    assert tokens.id_token == "a.b.c"
    assert tokens.refresh_token == "r"
    authenticator = client.authenticator
    assert isinstance(authenticator, RecordingAuthenticator)
    assert authenticator.calls[0][2:] == ("https://example.com", "example.com")


def test_two_call_dialect(client: PasskeyClient, stub: Stubber) -> None:
    initiate(stub, {"challenge": "AUTH_PARAMS", "public_key": json.dumps({"publicKey": OPTIONS})})
    stub.add_response(
        "respond_to_auth_challenge",
        {"AuthenticationResult": RESULT, "ChallengeParameters": {}},
        respond_expect(ANY, {"authentication_type": "FIDO2_GET", "fast_signin": "true"}),
    )
    assert client.sign_in_passkey("alice").access_token == "d.e.f"


def test_two_call_offer_declined_when_fast_signin_is_off(stub: Stubber, sleeps: Sleeps) -> None:
    slow = PasskeyClient(
        user_pool_id=POOL_ID,
        client_id=CLIENT_ID,
        authenticator=RecordingAuthenticator(),
        rp_id="example.com",
        fast_signin=False,
    )
    with Stubber(slow.api.client) as own:
        own.add_response(
            "initiate_auth",
            {
                "ChallengeName": "CUSTOM_CHALLENGE",
                "Session": S1,
                "ChallengeParameters": {
                    "challenge": "AUTH_PARAMS",
                    "public_key": json.dumps(OPTIONS),
                },
            },
        )
        own.add_response(
            "respond_to_auth_challenge",
            {"AuthenticationResult": RESULT, "ChallengeParameters": {}},
            respond_expect("AUTH_PARAMS", {"authentication_type": "FIDO2_GET"}),
        )
        slow.sign_in_passkey("alice")


def test_throttling_is_retried_with_bounded_backoff(
    client: PasskeyClient, stub: Stubber, sleeps: Sleeps
) -> None:
    for _ in range(3):
        stub.add_client_error("initiate_auth", "TooManyRequestsException", "Rate exceeded")
    initiate(stub, {"challenge": "AUTH_PARAMS", "public_key": json.dumps(OPTIONS)})
    stub.add_client_error("respond_to_auth_challenge", "ThrottlingException", "slow down")
    stub.add_response(
        "respond_to_auth_challenge", {"AuthenticationResult": RESULT, "ChallengeParameters": {}}
    )
    client.sign_in_passkey("alice")
    # base 0.5 doubling, capped at 1.5 (jitter fixed at its maximum here)
    assert sleeps.delays == [0.5, 1.0, 1.5, 0.5]


def test_throttling_gives_up(client: PasskeyClient, stub: Stubber, sleeps: Sleeps) -> None:
    for _ in range(4):
        stub.add_client_error("initiate_auth", "TooManyRequestsException", "Rate exceeded")
    with pytest.raises(e.ThrottledError):
        client.sign_in_passkey("alice")
    assert len(sleeps.delays) == 3


def test_jitter_stays_within_the_cap() -> None:
    values = iter([0.0, 0.25, 0.999])
    policy = RetryPolicy(base_delay=1.0, max_delay=3.0, jitter=lambda: next(values))
    assert policy.delay(0) == 0.0
    assert policy.delay(1) == 0.5
    assert policy.delay(10) == pytest.approx(2.997)


@pytest.mark.parametrize(
    ("code", "message", "error"),
    [
        ("NotAuthorizedException", "Incorrect username or password.", e.NotAuthorizedError),
        (
            "NotAuthorizedException",
            "Invalid session for the user, session is expired.",
            e.SessionExpiredError,
        ),
        ("CodeMismatchException", "Invalid session provided", e.SessionExpiredError),
        ("ExpiredCodeException", "Invalid session", e.SessionExpiredError),
        ("UserNotFoundException", "User does not exist.", e.UserNotFoundError),
        ("UserLambdaValidationException", "DefineAuthChallenge failed", e.TriggerError),
        ("InvalidLambdaResponseException", "Invalid lambda response", e.TriggerError),
        ("UserNotConfirmedException", "User is not confirmed.", e.UserNotConfirmedError),
        ("PasswordResetRequiredException", "reset", e.PasswordResetRequiredError),
        ("ResourceNotFoundException", "User pool client x does not exist.", e.ConfigurationError),
        (
            "InvalidParameterException",
            "CUSTOM_AUTH flow not enabled for this client",
            e.ConfigurationError,
        ),
        ("InternalErrorException", "boom", e.CognitoError),
    ],
)
def test_errors_are_typed(
    client: PasskeyClient, stub: Stubber, code: str, message: str, error: type[Exception]
) -> None:
    initiate(stub, {"challenge": "AUTH_PARAMS"})
    stub.add_client_error("respond_to_auth_challenge", code, message)
    with pytest.raises(error) as caught:
        client.sign_in_passkey("alice")
    assert message in str(caught.value)


def test_auth_failures_are_authentication_errors() -> None:
    for code in (
        "NotAuthorizedException",
        "UserNotFoundException",
        "UserLambdaValidationException",
        "InvalidLambdaResponseException",
    ):
        fault = type("F", (), {"response": {"Error": {"Code": code, "Message": "m"}}})()
        assert isinstance(translate_client_error(fault), e.AuthenticationError), code


def test_unexpected_challenge(client: PasskeyClient, stub: Stubber) -> None:
    stub.add_response(
        "initiate_auth",
        {"ChallengeName": "SMS_MFA", "Session": S1, "ChallengeParameters": {}},
    )
    with pytest.raises(e.UnexpectedChallengeError, match="SMS_MFA"):
        client.sign_in_passkey("alice")


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"public_key": "not json"}, "not JSON"),
        ({"public_key": "[1]"}, "not a JSON object"),
        ({"public_key": json.dumps({"rpId": "x"})}, "no challenge"),
        ({"something": "else"}, "neither"),
    ],
)
def test_malformed_challenges(
    client: PasskeyClient, stub: Stubber, params: dict[str, str], match: str
) -> None:
    initiate(stub, params)
    with pytest.raises(e.ProtocolError, match=match):
        client.sign_in_passkey("alice")


def test_missing_session(client: PasskeyClient, stub: Stubber) -> None:
    stub.add_response(
        "initiate_auth",
        {"ChallengeName": "CUSTOM_CHALLENGE", "ChallengeParameters": {"challenge": "AUTH_PARAMS"}},
    )
    with pytest.raises(e.ProtocolError, match="session"):
        client.sign_in_passkey("alice")


def test_endless_rounds_stop(client: PasskeyClient, stub: Stubber) -> None:
    initiate(stub, {"challenge": "AUTH_PARAMS"})
    for _ in range(3):
        stub.add_response(
            "respond_to_auth_challenge",
            {
                "ChallengeName": "CUSTOM_CHALLENGE",
                "Session": S1,
                "ChallengeParameters": {"public_key": json.dumps(OPTIONS)},
            },
        )
    with pytest.raises(e.ProtocolError, match="more than 3"):
        client.sign_in_passkey("alice")


def test_closed_port_is_a_network_error_without_retries(sleeps: Sleeps) -> None:
    client = PasskeyClient(
        user_pool_id=POOL_ID,
        client_id=CLIENT_ID,
        authenticator=RecordingAuthenticator(),
        endpoint_url=closed_url(),
        retry=RetryPolicy(sleep=sleeps),
    )
    with pytest.raises(e.NetworkError, match="cannot reach"):
        client.sign_in_passkey("alice")
    assert sleeps.delays == []


def test_secret_hash_matches_the_documented_formula() -> None:
    # base64(HMAC_SHA256(secret, username + client_id)), computed independently.
    import base64
    import hashlib
    import hmac

    expected = base64.b64encode(hmac.new(b"sec", b"alicecid", hashlib.sha256).digest()).decode()
    assert secret_hash("alice", "cid", "sec") == expected


def test_empty_username_is_refused(client: PasskeyClient) -> None:
    with pytest.raises(e.ConfigurationError):
        client.sign_in_passkey("  ")


# -- what the local AWS cannot show: options without an RP ID, a wrong app client secret,
# -- a wrong confirmation code (it checks neither secrets nor codes), throttling ------------


def stubbed_client(**options: Any) -> PasskeyClient:
    settings: dict[str, Any] = {
        "user_pool_id": POOL_ID,
        "client_id": CLIENT_ID,
        "authenticator": RecordingAuthenticator(),
        "endpoint_url": "http://127.0.0.1:9",
        "boto_session": boto3.session.Session(region_name="eu-west-1"),
    }
    settings.update(options)
    return PasskeyClient(**settings)


NO_RP_ID = {"challenge": "Y2hhbGxlbmdl", "allowCredentials": []}


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"rp_id": "example.com", "origin": "https://example.com"}, "example.com"),
        ({"rp_id": "example.com"}, "example.com"),
        ({"origin": "https://login.example.org"}, "login.example.org"),
    ],
    ids=["configured", "rp-id-only", "origin-only"],
)
def test_rp_id_missing_from_options(options: dict[str, str], expected: str) -> None:
    client = stubbed_client(**options)
    with Stubber(client.api.client) as stub:
        initiate(stub, {"challenge": "AUTH_PARAMS", "public_key": json.dumps(NO_RP_ID)})
        stub.add_response(
            "respond_to_auth_challenge", {"AuthenticationResult": RESULT, "ChallengeParameters": {}}
        )
        client.sign_in_passkey("alice")
    authenticator = client.authenticator
    assert isinstance(authenticator, RecordingAuthenticator)
    assert authenticator.calls[0][3] == expected


def test_rp_id_missing_everywhere_is_a_configuration_error() -> None:
    client = stubbed_client()
    with Stubber(client.api.client) as stub:
        initiate(stub, {"challenge": "AUTH_PARAMS", "public_key": json.dumps(NO_RP_ID)})
        with pytest.raises(e.ConfigurationError, match="RP ID"):
            client.sign_in_passkey("alice")


def test_wrong_client_secret_is_a_configuration_error() -> None:
    client = stubbed_client(client_secret="wrong", rp_id="example.com")
    with Stubber(client.api.client) as stub:
        stub.add_client_error(
            "initiate_auth",
            "NotAuthorizedException",
            f"Unable to verify secret hash for client {CLIENT_ID}",
        )
        with pytest.raises(e.ConfigurationError, match="secret"):
            client.sign_in_passkey("alice")


def sign_up_stub(stub: Stubber, codes: list[str], accept_last: bool) -> None:
    stub.add_response(
        "sign_up",
        {
            "UserConfirmed": False,
            "UserSub": "0f6d8d4e-6f5a-4b57-9a57-7a3f2e9a9f00",
            "CodeDeliveryDetails": {"Destination": "a***@e***", "DeliveryMedium": "EMAIL"},
        },
    )
    for index, code in enumerate(codes):
        expected = {"ClientId": CLIENT_ID, "Username": "frank", "ConfirmationCode": code}
        if accept_last and index == len(codes) - 1:
            stub.add_response("confirm_sign_up", {}, expected)
        else:
            stub.add_client_error(
                "confirm_sign_up",
                "CodeMismatchException",
                "Invalid verification code provided, please try again.",
                expected_params=expected,
            )


def test_wrong_code_is_asked_again() -> None:
    client = stubbed_client(rp_id="example.com")
    answers = iter(["000000", "111111", "424242"])
    asked: list[dict[str, Any]] = []

    def code(_username: str, delivery: Any) -> str:
        asked.append(dict(delivery))
        return next(answers)

    with Stubber(client.api.client) as stub:
        sign_up_stub(stub, ["000000", "111111", "424242"], accept_last=True)
        # Confirmed: the next step is the password sign-in; stop the run there.
        stub.add_client_error("initiate_auth", "PasswordResetRequiredException", "stop here")
        with pytest.raises(e.PasswordResetRequiredError):
            client.sign_up_with_passkey("frank", confirm=code)
        stub.assert_no_pending_responses()
    assert len(asked) == 3 and asked[0]["DeliveryMedium"] == "EMAIL"


def test_wrong_code_gives_up_after_three_tries() -> None:
    client = stubbed_client(rp_id="example.com")
    with Stubber(client.api.client) as stub:
        sign_up_stub(stub, ["999999"] * 3, accept_last=False)
        with pytest.raises(e.CodeMismatchError):
            client.sign_up_with_passkey("frank", confirm=lambda _u, _d: " 999999 ")
        stub.assert_no_pending_responses()


def test_password_sign_in_retries_throttling(sleeps: Sleeps) -> None:
    client = stubbed_client(
        retry=RetryPolicy(attempts=4, base_delay=0.25, sleep=sleeps, jitter=lambda: 1.0)
    )
    with Stubber(client.api.client) as stub:
        for _ in range(2):
            stub.add_client_error("initiate_auth", "TooManyRequestsException", "Rate exceeded")
        stub.add_client_error("initiate_auth", "NotAuthorizedException", "Incorrect password.")
        with pytest.raises(e.NotAuthorizedError):
            client.sign_in_password("lee", "Lee-password-22")
        assert sleeps.delays == [0.25, 0.5]
        for _ in range(4):
            stub.add_client_error("initiate_auth", "TooManyRequestsException", "Rate exceeded")
        with pytest.raises(e.ThrottledError):
            client.sign_in_password("lee", "Lee-password-22")
        stub.assert_no_pending_responses()
