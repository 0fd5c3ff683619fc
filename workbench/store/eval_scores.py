"""Mean scores of chosen assertion types over a run's stored results (one SQL pass)."""

from __future__ import annotations

from sqlite_utils import Database


def assertion_means(
    db: Database, run_id: str, variant: str, types: tuple[str, ...]
) -> dict[str, tuple[float, int]]:
    """Per assertion type in ``types``: the mean score and how many verdicts it averages.

    Every repeat counts; a negated assertion (``not-…``) and one that could not grade
    (the result's error) have no verdict here. Types the run never graded are absent.
    """
    if not types:
        return {}
    marks = ", ".join("?" for _ in types)
    # A LIKE on the raw JSON skips parsing results that hold none of the types.
    likes = " OR ".join("r.assertions LIKE ?" for _ in types)
    sql = (
        "SELECT json_extract(a.value, '$.type') AS type, AVG(json_extract(a.value, '$.score')),"
        " COUNT(*) FROM eval_results AS r, json_each(r.assertions) AS a"
        f" WHERE r.run_id = ? AND r.variant = ? AND ({likes})"
        f" AND json_extract(a.value, '$.type') IN ({marks}) GROUP BY 1"
    )
    params = [run_id, variant, *(f'%"{name}"%' for name in types), *types]
    return {row[0]: (float(row[1]), int(row[2])) for row in db.execute(sql, params).fetchall()}
