# The preflight only reads the host: nothing to undo but the product's record of its run.
step_undone
