# The preflight only reads the host: nothing to undo.
:
