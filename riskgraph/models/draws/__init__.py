"""Double-random inspection draws (双随机、一公开): spec, draw, audit, estimates, planning.

The engine is pure Python on DataFrames; the graph store supplies the frames and keeps the
records. See docs/draws.md for the sampling design and the record format.
"""

from riskgraph.models.draws.audit import (
    ChainCheck,
    Verification,
    first_difference,
    publication,
    verify,
    verify_chain,
)
from riskgraph.models.draws.engine import run_draw
from riskgraph.models.draws.errors import (
    DrawError,
    InputError,
    RecordError,
    SpecError,
    StaffingError,
)
from riskgraph.models.draws.estimate import estimate_prevalence
from riskgraph.models.draws.inspectors import REASONS, Assignment, assign_inspectors
from riskgraph.models.draws.joint import merge_visits
from riskgraph.models.draws.planning import expected_yield
from riskgraph.models.draws.record import ALGORITHM, canonical_json, record_hash
from riskgraph.models.draws.sampling import (
    SubjectDraw,
    draw_subjects,
    eligible_population,
    random_streams,
)
from riskgraph.models.draws.spec import (
    DEFAULT_CLASS_RATIOS,
    DEFAULT_MIN_INTERVAL_DAYS,
    DEFAULT_MIN_RATIO,
    NON_KEY_RATIO_CAP,
    DrawSpec,
    TaskPlan,
    load_spec,
    resolve_task,
    seed_entropy,
)

__all__ = [
    "ALGORITHM",
    "DEFAULT_CLASS_RATIOS",
    "DEFAULT_MIN_INTERVAL_DAYS",
    "DEFAULT_MIN_RATIO",
    "NON_KEY_RATIO_CAP",
    "REASONS",
    "Assignment",
    "ChainCheck",
    "DrawError",
    "DrawSpec",
    "InputError",
    "RecordError",
    "SpecError",
    "StaffingError",
    "SubjectDraw",
    "TaskPlan",
    "Verification",
    "assign_inspectors",
    "canonical_json",
    "draw_subjects",
    "eligible_population",
    "estimate_prevalence",
    "expected_yield",
    "first_difference",
    "load_spec",
    "merge_visits",
    "publication",
    "random_streams",
    "record_hash",
    "resolve_task",
    "run_draw",
    "seed_entropy",
    "verify",
    "verify_chain",
]
