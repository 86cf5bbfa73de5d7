from rag.citations import quote_in_file, split_claims
from rag.types import Citation

SEED = "003_064eea4f1c13281f.txt"


def test_quote_check_fails_when_the_file_changes(seeds_copy):
    text = (seeds_copy / SEED).read_text(encoding="utf-8")
    quote = text.splitlines()[6]
    start = text.index(quote)
    citation = Citation(SEED, 7, 7, quote, 0.6, start, start + len(quote))
    assert quote_in_file(citation, text)
    edited = text.replace("Rashid Meredov", "R. Meredov")
    assert not quote_in_file(citation, edited)
    assert not quote_in_file(citation, "\n" + text)  # same quote, other lines


def test_split_claims_removes_markers():
    assert split_claims("Meredov is minister [1][2]. Hajiyev is coordinator [3].") == [
        "Meredov is minister.", "Hajiyev is coordinator."]
