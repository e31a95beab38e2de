"""Component endpoints: one SageMaker endpoint whose capacity is shared by inference components (ICs).

The same stages as a single-model endpoint (desired -> observe -> plan -> apply), in modules of their own so each
stage states which kind of endpoint it handles: :mod:`.desired` (request bodies, content-hashed names),
:mod:`.scaling` (per-component autoscaling and scale-to-zero bodies), :mod:`.requirements` (per-copy compute
requirements, cold start, where scale to zero is offered), :mod:`.snapshot` (what exists), :mod:`.observe`
(read-only calls), :mod:`.plan` and :mod:`.teardown` (pure diffs) and :mod:`.run` (what apply does for the IC
actions, bounded visible waits included). Each component's model is
built by the single-model path (:func:`deploy.spec.components.component_view` + ``desired_from``), so the two
modes cannot drift apart.
"""
