"""The pytest plugin users load in their own suites: throwaway Cognito users with passkeys.

``pip install cognito-passkey`` registers it (entry point ``pytest11``, name
``cognito_passkey``; ``-p no:cognito_passkey`` switches it off). testing/README.md shows the
fixtures and options. Importing this package loads neither boto3, fido2 nor the client.
"""

from __future__ import annotations
