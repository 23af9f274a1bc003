"""What reaches the model: passages trimmed to the sentences that answer."""

from rag.prompting import _best_sentences
from rag.text import terms


def test_a_long_opening_sentence_does_not_crowd_out_the_answer() -> None:
    opening = (
        "Following his latest talks on Friday with the foreign minister, the secretary announced clarity "
        "on the path forward over the long conflict, but offered no details on a resolution of any kind."
    )
    answer = "The two ministers spoke for nine hours in Geneva."
    kept = _best_sentences(f"{opening} {answer} The weather was fine.", set(terms("How long did the ministers talk in Geneva?")), 20)
    assert answer in kept and "Following" not in kept
