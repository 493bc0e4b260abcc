"""The wire protocol the client and the trigger Lambdas both speak.

One room for every fact that crosses the wire: the custom-auth dialect (:mod:`.dialect`),
user-pool ids, issuers and JWKS addresses (:mod:`.pools`), Cognito token checks
(:mod:`.tokens`), the passkey management API (:mod:`.management`) and the backend names
(:mod:`.backends`). Both sides import it; it imports neither. The function zip carries it,
so it depends on nothing heavier than PyJWT, and only where a token is checked.
docs/protocol.md describes the same protocol for people.
"""
