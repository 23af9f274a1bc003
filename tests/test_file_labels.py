"""The names the model sees for files: hashes left out, and put back in its reply."""

import pytest

from rag.file_labels import file_labels, short_name, with_file_names

HASHED = "000_8d13b83e7b516537.txt"
OTHER = "003_0b6208def4d60cff.txt"


@pytest.mark.parametrize(
    ("name", "short"),
    [
        (HASHED, "000.txt"),
        ("notes/report-3f2504e0-4f89-11d3-9a0c-0305e82c3301.pdf", "notes/report.pdf"),
        ("000_8d13b83e7b516537.tar.gz", "000.tar.gz"),
        ("a-8d13b83e7b516537-b.txt", "a-b.txt"),
        ("8d13b83e7b516537_minutes.md", "minutes.md"),
        # nothing but a hash or a UUID: its first characters
        ("8d13b83e7b516537.txt", "8d13.txt"),
        ("notes/3f2504e0-4f89-11d3-9a0c-0305e82c3301.pdf", "notes/3f25.pdf"),
        ("_8d13b83e7b516537.txt", "8d13.txt"),
        ("8d13b83e7b516537.tar.gz", "8d13.tar.gz"),
        # kept: names with meaning, digits only, no extension, a hex run inside a word
        ("xz-utils-faq.txt", "xz-utils-faq.txt"),
        ("10365749.txt", "10365749.txt"),
        ("8d13b83e7b516537", "8d13b83e7b516537"),
        ("deadbeef.txt", "deadbeef.txt"),
        ("cafe2024.txt", "cafe2024.txt"),
        ("000_8d13b83e7b516537", "000_8d13b83e7b516537"),
        ("Embedded12345678.txt", "Embedded12345678.txt"),
        ("2024-01-02.md", "2024-01-02.md"),
    ],
)
def test_short_name(name: str, short: str) -> None:
    assert short_name(name) == short


def test_a_file_keeps_its_name_when_its_label_would_be_ambiguous() -> None:
    files = ["a_8d13b83e7b516537.txt", "a_9e24c94f8c627648.txt", "b_8d13b83e7b516537.txt", "b.txt", HASHED]
    assert file_labels(files) == {
        "a_8d13b83e7b516537.txt": "a_8d13b83e7b516537.txt",  # both would be "a.txt"
        "a_9e24c94f8c627648.txt": "a_9e24c94f8c627648.txt",
        "b_8d13b83e7b516537.txt": "b_8d13b83e7b516537.txt",  # "b.txt" is another file's name
        "b.txt": "b.txt",
        HASHED: "000.txt",
    }


def test_names_of_hashes_alike_in_their_first_characters_are_kept_whole() -> None:
    files = ["8d13b83e7b516537.txt", "8d13c94f8c627648.txt", "0b6208def4d60cff.txt"]
    assert file_labels(files) == {
        "8d13b83e7b516537.txt": "8d13b83e7b516537.txt",
        "8d13c94f8c627648.txt": "8d13c94f8c627648.txt",
        "0b6208def4d60cff.txt": "0b62.txt",
    }
    assert with_file_names("0b62.txt says so.", files) == "0b6208def4d60cff.txt says so."


def test_labels_in_a_reply_become_names_again() -> None:
    reply = "000.txt says so [1], and 003.TXT agrees [2]; 1000.txt, 000.txt.bak and x000.txt do not."
    assert with_file_names(reply, [HASHED, OTHER]) == (
        f"{HASHED} says so [1], and {OTHER} agrees [2]; 1000.txt, 000.txt.bak and x000.txt do not."
    )


def test_a_label_in_a_folder_comes_back_from_its_last_part_too() -> None:
    files = ["notes/000_8d13b83e7b516537.txt", "notes/003_0b6208def4d60cff.txt"]
    assert with_file_names("notes/000.txt and 003.txt.", files) == f"{files[0]} and {files[1]}."


def test_overlapping_labels_come_back_as_their_own_files() -> None:
    files = ["report 8d13b83e7b516537.txt", "my report_0b6208def4d60cff.txt"]
    assert with_file_names("my report.txt says so.", files) == "my report_0b6208def4d60cff.txt says so."
    assert with_file_names("report.txt says so.", files) == "report 8d13b83e7b516537.txt says so."


def test_names_without_an_extension_are_not_shortened_into_words() -> None:
    files = ["000_8d13b83e7b516537", "x_0b6208def4d60cff"]
    reply = "It cost 1,000 euros, and x marks the spot."
    assert with_file_names(reply, files) == reply


def test_a_streamed_reply_shows_names_not_labels() -> None:
    from rag.file_labels import NamesBackStream

    shown: list[str] = []
    stream = NamesBackStream(shown.append, [HASHED, OTHER])
    for piece in ["00", "0.t", "xt says", " so, and 0", "03.txt"]:
        stream(piece)
    stream.finish()
    assert "".join(shown) == f"{HASHED} says so, and {OTHER}"


def test_files_named_in_an_answer_are_found_whole_longest_first_in_any_case() -> None:
    from rag.file_labels import named_files, only_file_names

    shown = iter(["report.pdf", "final report.pdf", "docs/notes.txt"])  # read once, as the pipeline passes them
    assert named_files("final report.pdf and NOTES.txt", shown) == ["final report.pdf", "docs/notes.txt"]
    assert named_files("notes.txt.bak, report.pdfs", ["docs/notes.txt", "report.pdf"]) == []
    assert only_file_names("Report.pdf and notes.txt", ["report.pdf", "docs/notes.txt"])
    assert not only_file_names("final report.pdf", ["report.pdf"])
    # a long path copied wrong still names the file
    assert only_file_names("libxslt-dev/html/EXSLT/exslt.html", ["libxslt1-dev/html/EXSLT/exslt.html", "sed/README"])
    assert not only_file_names("Use the bug tracker at bugs/exslt.html", ["libxslt1-dev/html/EXSLT/exslt.html"])
