import pytest

from rag.numbers import canonical, claimed_numbers, stated_numbers, unstated


@pytest.mark.parametrize(
    ("number", "form"),
    [("09", "9"), ("0", "0"), ("3.11.0", "3.11"), ("2.0", "2"), ("0.05", "0.05"), ("0.50.0", "0.5"), ("0.80", "0.8"), ("1.4.2", "1.4.2")],
)
def test_one_canonical_form_per_value(number: str, form: str) -> None:
    assert canonical(number) == form


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        ("The cache holds 512 MB.", "The cache size is 512MB by default."),
        ("It times out after 30 seconds.", "The timeout defaults to 30s."),
        ("The talks began on March 21.", "The talks began on March 21st."),
        ("It was fixed in release 1.4.2.", "Fixed in v1.4.2."),
        ("The article is dated 9 September 2016.", "Published 2016-09-09."),
        ("The strike came at 10 am.", "The strike came at 10:00."),
        ("It needs Python 3.11.", "It needs Python 3.11.7 or later."),
        ("It needs Python 3.11.", "It needs Python 3.11.0 or later."),
        ("Version 2 of the licence applies.", "The Apache License 2.0 applies."),
        ("They talked for nine hours.", "They talked for 9 hours."),
        ("They talked for 9 hours.", "They talked for nine hours."),
        ("Twenty-five people came.", "25 people came."),
        ("25 people came.", "Twenty five people came."),
        ("The dose was 0.5 mg.", "The dose was .5 mg."),
        ("It cost 30,000 euros.", "It cost 30000 euros."),
        ("The ratio is .5 for the control group.", "The ratio is 0.5 for the control group."),
        ("It happened in the 21st century.", "It happened in the twenty-first century."),
        ("The meeting starts at 10:00.", "The meeting starts at 10 am."),
        ("The profit was $2,500,000.", "The profit was 2.5 million dollars."),
        ("The profit was 2.5 million dollars.", "The profit was $2,500,000."),
        ("Aid rose by 1.1 million euros.", "Aid rose by 1,100,000 euros."),
        ("The profit was 2,500,000 dollars.", "The profit was $2.5m."),
        ("About 30 thousand people came.", "About 30,000 people came."),
        ("Two hundred people came.", "200 people came."),
        ("5,000 people came.", "Five thousand people came."),
        ("The hazard ratio was 0.72.", "The hazard ratio was 0·72."),
        ("It starts at 10:30 am.", "It starts at 10.30am."),
        ("10,000 people took part.", "10\u2009000 people took part."),
        ("The ratio was 0.8.", "The ratio was 0.80."),
        ("It was linked to COVID-19.", "It was linked to Covid."),
        ("1. Install the package.", "Install the package first."),
        ("To build it:\n1. Run make.", "Run make to build it."),
        ("It costs 1,000,000 euros.", "It costs 1.000.000 euros."),
        ("It was a phase 3 trial.", "It was a phase III trial."),
        ("Patients with type 2 diabetes took part.", "Patients with type II diabetes took part."),
        ("Chapter 14 covers it.", "Chapter XIV covers it."),
        ("He served as mayor until 2007.", "He served as mayor 2005-07."),
        ("50% of the members voted yes.", "Half of the members voted yes."),
        ("12 soldiers died.", "A dozen soldiers died."),
        ("The dose was 1,5 mg.", "The dose was 1.5 mg."),
        ("The dose was 1.5 mg.", "The dose was 1,5 mg."),
        ("Sections 1 and 5 apply.", "Sections 1,5 apply."),
        ("It has 120 members.", "It has one hundred and twenty members."),
        ("It has one hundred and twenty members.", "It has 120 members."),
        ("It has a hundred five members.", "It has 105 members."),
    ],
)
def test_a_number_written_otherwise_in_the_passage_is_stated(claim: str, passage: str) -> None:
    assert not unstated(claimed_numbers(claim, 6), stated_numbers(passage))


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        ("The committee has 7 members.", "The committee meets monthly."),
        ("The rate rose 3 percent.", "The rate rose 3.9 percent."),
        ("The minimum meson version is 0.50.0.", "Meson 0.46 or newer is required."),
        ("It opened in March 2019.", "It opened in spring."),
        ("The p-value was 0.001.", "One group of 1 patient."),
        ("It is covered in section 3 of the license.", "See section 5 of the license."),
        ("It was a phase 2 trial.", "It was a phase III trial."),
        ("I think 5 of them came.", "I was there; V came."),
        ("The dose was 1,5 mg.", "The doses were 1 mg and 5 mg."),
        ("It has one hundred and twenty members.", "It has 100 members and 20 guests."),
    ],
)
def test_a_number_the_passage_does_not_state_is_unstated(claim: str, passage: str) -> None:
    assert unstated(claimed_numbers(claim, 6), stated_numbers(passage))


@pytest.mark.parametrize(
    "claim",
    [
        "Two of the three articles say so.",
        "Two of these files mention Kerry.",
        "It is said in 2 news articles.",
        "Kerry met Lavrov in Geneva (passage 1).",
        "Kerry met Lavrov in Geneva [Passage 1].",
        "Passages 2 and 3 say so.",
    ],
)
def test_counting_or_naming_the_passages_shown_is_not_a_claimed_number(claim: str) -> None:
    assert claimed_numbers(claim, 6) == frozenset()


def test_the_last_word_of_a_reply_cut_off_by_the_token_limit_is_not_claimed() -> None:
    assert claimed_numbers("The ratio was 0.88 (95% CI, 0.80-0", 6, cut_off=True) == {"0.88", "95", "0.8"}
    assert claimed_numbers("The ratio was 0.88 (95% CI, 0.80-0.97).", 6, cut_off=True) == {"0.88", "95", "0.8", "0.97"}
    assert claimed_numbers("The default port is 8080", 6) == {"8080"}


def test_a_count_of_documents_larger_than_those_shown_is_still_claimed() -> None:
    assert claimed_numbers("The manual has 300 pages.", 6) == {"300"}


@pytest.mark.parametrize(
    "text",
    ["Order 100,000,000,000,000,000,000,000,000,000 units", "ID 1234567890123456789012345678901",
     "1" * 5000, "፩ documents", "٣ files", "1e309", "", "x²", "１２３ items"],
)
def test_odd_numbers_never_raise(text: str) -> None:
    stated_numbers(text)
    claimed_numbers(text, 6)
