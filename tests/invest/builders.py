"""What the investment tests share: fast search settings and two options a search must never choose."""
from __future__ import annotations

FAST = {"seed": 3, "screen_reps": 2, "candidate_reps": 3, "final_reps": 6, "workers": 2}

#: An option that changes nothing: no time saved.
USELESS = {"name": "placebo_software", "kind": "automation", "licence_gbp_per_year": 1000,
           "time_saved_share": 0.0, "applies_to_share": 1.0}
#: The contract examiner again at three times the price: every mix using it is dominated.
DEAR_CLONE = {"name": "dear_contractor", "kind": "hire_examiners", "annual_cost_gbp": 255000, "lag_weeks": 6,
              "ramp_up_weeks": 8, "ramp_up_start": 0.5, "skills": ["mobile", "computer"], "max_count": 3,
              "fixed_term_weeks": 52, "absence": 0.10}
