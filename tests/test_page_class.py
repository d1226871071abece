"""The Class page with AppTest: a teacher starts a class, students join and share runs, the board ranks them; only
the teacher key hides entries or closes the class; nicknames and labels stay text."""
import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import open_page, open_with_url, press_step
from ui.state import SESSION_PARAM

pytestmark = pytest.mark.slow  # each test trains runs and opens several sessions

CLASS = "pages/9_Class.py"
MLP = "pages/2_MLP.py"
COMPARE = "pages/8_Compare.py"
HOSTILE_NICKNAME = "**Ada** :red[r] <b>"  # fits the 24 characters of a nickname


def started_class() -> tuple[AppTest, str, str]:
    """(the teacher's page, the class code, the teacher key shown)."""
    teacher = open_page(CLASS)
    teacher = teacher.button(key="class_start").click().run()
    code = teacher.session_state["class_code"]
    key = teacher.session_state["class_new"].teacher_key
    assert key in [block.value for block in teacher.code]  # shown once ...
    teacher = teacher.button(key="class_kept_key").click().run()
    assert key not in [block.value for block in teacher.code]  # ... and gone once kept
    return teacher, code, key


def student_with_a_run(code: str, nickname: str, steps_key: str = "mlp_step100") -> AppTest:
    """A student's Class page after training and pausing an MLP run and joining the class."""
    page = open_page(MLP, mlp_steps=1000)
    page = press_step(page, steps_key)
    student = open_with_url(CLASS, **{SESSION_PARAM: page.query_params[SESSION_PARAM], "class": code})
    student = student.text_input(key="class_nickname").input(nickname).run()
    student = student.button(key="class_join").click().run()
    assert not student.error, [e.value for e in student.error]
    return student


def share_from_compare(student: AppTest) -> AppTest:
    compare = open_with_url(COMPARE, **{SESSION_PARAM: student.query_params[SESSION_PARAM]})
    (run_id,) = compare.session_state["runs"]
    return compare.button(key=f"compare_share_{run_id}").click().run()


def board(at: AppTest):
    return at.dataframe[0].value


def test_a_class_shares_runs_ranked_and_only_the_teacher_hides_and_closes():
    teacher, code, _ = started_class()
    ada = student_with_a_run(code, HOSTILE_NICKNAME, "mlp_step100")
    bo = student_with_a_run(code, "bo", "mlp_step1000")
    assert not share_from_compare(ada).error and not share_from_compare(bo).error
    teacher = teacher.run()
    table = board(teacher)
    assert table["nickname"].tolist() == ["bo", HOSTILE_NICKNAME]  # plain text, in rank order
    assert table["rank"].tolist() == [1, 2] and table["dev loss"].is_monotonic_increasing
    assert table["settings against the best"].tolist()[0] == "(the best)"
    assert "Hide it" in [b.label for b in teacher.button]

    student = ada.run()  # the student's board: the same ranking, and no teacher's controls
    assert board(student)["nickname"].tolist() == ["bo", HOSTILE_NICKNAME]
    labels = [b.label for b in student.button]
    assert "Hide it" not in labels and "Close the class" not in labels
    student = student.text_input(key="class_key").input("not-the-key").run()
    student = student.button(key="class_teach").click().run()
    assert any("not this class's teacher key" in e.value for e in student.error)
    assert "Hide it" not in [b.label for b in student.button] and "Close the class" not in [b.label for b in
                                                                                           student.button]

    teacher = teacher.button(key="class_hide").click().run()  # the first entry, bo's, is the one selected
    assert board(teacher)["hidden"].tolist() == [True, False]  # the teacher still sees it, marked
    assert board(ada.run())["nickname"].tolist() == [HOSTILE_NICKNAME]  # the students no longer do

    teacher = teacher.checkbox(key="class_close_sure").check().run()
    teacher = teacher.button(key="class_close").click().run()
    joining = open_with_url(CLASS, **{"class": code})
    joining = joining.text_input(key="class_nickname").input("cy").run()
    joining = joining.button(key="class_join").click().run()
    assert any("closed" in e.value for e in joining.error)


def test_a_teacher_key_entered_again_gives_back_the_teachers_controls():
    _, code, key = started_class()
    again = open_with_url(CLASS, **{"class": code})
    assert "Close the class" not in [b.label for b in again.button]
    again = again.text_input(key="class_key").input(key).run()
    again = again.button(key="class_teach").click().run()
    assert not again.error and "Close the class" in [b.label for b in again.button]


def test_shares_are_rate_limited_with_a_message():
    _, code, _ = started_class()
    student = student_with_a_run(code, "eve")
    compare = open_with_url(COMPARE, **{SESSION_PARAM: student.query_params[SESSION_PARAM]})
    (run_id,) = compare.session_state["runs"]
    for _ in range(3):  # a student may share 3 at once (sharing a run again updates its entry)
        compare = compare.button(key=f"compare_share_{run_id}").click().run()
        assert not compare.warning and not compare.error
    compare = compare.button(key=f"compare_share_{run_id}").click().run()
    assert any("sharing quickly" in w.value for w in compare.warning)


def test_an_opened_run_joins_the_students_runs_and_trains_further():
    _, code, _ = started_class()
    share_from_compare(student_with_a_run(code, "fay"))
    viewer = open_with_url(CLASS, **{"class": code})
    viewer = viewer.button(key="class_open").click().run()
    assert not viewer.exception and not viewer.error
    (opened,) = viewer.session_state["runs"].values()
    assert opened.label.startswith("fay · MLP") and opened.steps == 100
    viewer = viewer.select_slider(key="class_further").set_value(1_000).run()
    viewer = viewer.button(key="class_train_further").click().run()
    assert not viewer.exception and not viewer.error
    further = viewer.session_state["runs"][viewer.session_state["class_open_run"]]
    assert further.steps == 1_100 and further.losses["dev_loss"] < opened.losses["dev_loss"]
    viewer = viewer.button(key="class_sample").click().run()
    assert viewer.session_state["gen_model"] == further.run_id
