"""The CLI's commands, one module a topic; ``cognito_passkey.client.cli`` puts them together."""
