"""Any JSON a browser could send gets a result or MalformedAnswer, never another exception (no 500s)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courseware.quiz import Course, GradeResult, MalformedAnswer, grade
from courseware.quiz.simcheck import SimOutcome

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=10), children, max_size=6),
    max_leaves=20,
)


class AlwaysNo:
    def check(self, scenario, node, command_line, condition) -> SimOutcome:
        return SimOutcome(passed=False, message="no")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_arbitrary_answers_never_crash_the_grader(course: Course, data) -> None:
    questions = [q for _, q in course.questions()]
    q = data.draw(st.sampled_from(questions))
    answer = data.draw(JSON | st.sampled_from([o for o in ("a", "b", ["a"], {"a": "b"}, "1 min", "  ")]))
    seed = data.draw(st.integers(min_value=0, max_value=2**63))
    try:
        result = grade(q, answer, seed, checker=AlwaysNo())
    except MalformedAnswer as exc:
        assert str(exc)
    else:
        assert isinstance(result, GradeResult)
        assert result.score is None or 0.0 <= result.score <= 1.0
