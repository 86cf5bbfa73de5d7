import numpy as np
import pytest

from rag.lexical import LexicalIndex, terms


def _index(texts: dict[int, str]) -> LexicalIndex:
    index = LexicalIndex()
    for chunk_id, text in texts.items():
        index.add(chunk_id, text)
    return index


def test_terms_fold_case_drop_stop_words_and_stem():
    assert terms("The Keepers kept KEEPING") == ["keeper", "kept", "keep"]
    assert terms("the and of") == []


def test_rare_exact_word_wins_and_chunks_without_query_terms_are_left_out():
    index = _index({10: "the meeting took place in Tashkent in February",
                    11: "the ministers discussed migration and labour",
                    12: "a meeting about labour migration in general"})
    hits = index.search("Where was the meeting held, Tashkent?", 5)
    assert [i for i, _ in hits][0] == 10
    assert 11 not in [i for i, _ in hits]  # shares no term with the question
    assert all(score > 0 for _, score in hits)


def test_removed_chunks_are_never_returned_and_replaced_text_is_searched():
    index = _index({1: "steam engine pressure", 2: "steam turbine"})
    index.remove([1])
    assert [i for i, _ in index.search("engine", 3)] == []
    index.add(2, "engine of a locomotive")
    assert [i for i, _ in index.search("engine", 3)] == [2]
    assert len(index) == 1


def test_bytes_round_trip_gives_the_same_ranking():
    index = _index({3: "Normans in Normandy", 4: "Vikings raided Normandy", 5: "Rollo was a Viking"})
    copy = LexicalIndex.from_bytes(index.to_bytes())
    assert copy.search("Viking Normandy", 3) == index.search("Viking Normandy", 3)
    assert LexicalIndex.from_bytes(LexicalIndex().to_bytes()).search("x", 3) == []


def test_inconsistent_bytes_are_refused():
    import io

    buffer = io.BytesIO()
    np.savez(buffer, vocab=np.asarray(["a"]), chunk_ids=np.asarray([1, 2]),
             lengths=np.asarray([1, 1]), term_ids=np.asarray([0, 5], dtype=np.int32))
    with pytest.raises(ValueError, match="disagree"):
        LexicalIndex.from_bytes(buffer.getvalue())
