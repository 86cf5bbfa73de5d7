from rag.citations import Verdict
from rag.reading import Reading, choose, rank_windows, sentence_windows
from rag.types import Chunk, Hit

TEXT = ("The talks took place in Lima. Carlos Ruiz met Mei Lin there. "
        "The weather was fine. Mei Lin directs the regional office.")


def _hit(start=0, end=len(TEXT), score=0.5):
    return Hit(Chunk(0, "a.txt", TEXT[start:end], start, end, 1, 1), score)


def test_windows_cover_each_sentence_once_with_file_offsets():
    windows = sentence_windows([_hit(), _hit(30, len(TEXT))])
    assert [TEXT[w.start:w.end] for w in windows] == [w.sentence for w in windows]
    assert len(windows) == 4
    assert windows[1].text == "The talks took place in Lima. Carlos Ruiz met Mei Lin there."


def test_ranking_rewards_the_questions_words():
    windows = sentence_windows([_hit()])
    flat = [0.5] * len(windows)
    ranked = rank_windows("Whom did Carlos Ruiz meet?", windows, flat)
    assert "Carlos Ruiz" in ranked[0].text
    assert {w.sentence for w in ranked[:2]} == {"Carlos Ruiz met Mei Lin there.", "The weather was fine."}


def _reading(text, abstained=False):
    return Reading(None, text, Verdict(text, (), abstained))


def test_choose_takes_the_answer_most_readings_agree_with():
    best = choose([_reading("Ana Torres"), _reading("Mei Lin"), _reading("Mei Lin, the director")])
    assert best.draft == "Mei Lin"


def test_choose_ignores_unverified_readings_and_may_find_none():
    assert choose([_reading("Astana", True), _reading("Lima")]).draft == "Lima"
    assert choose([_reading("Astana", True)]) is None
    assert choose([]) is None
