"""The tokenizer's table of word characters (src/featurize/word_chars.rs) is what this Python's
`re` calls `\\w`, and the exporter knows which Unicode version that was."""

import importlib.util
import os
import re
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
from wasmpredict.featurizer import WORD_CHARS_UNICODE  # noqa: E402


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_word_chars", os.path.join(ROOT, "scripts", "gen-word-chars.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def committed_table():
    text = open(os.path.join(ROOT, "src", "featurize", "word_chars.rs")).read()
    ranges = [(int(a, 16), int(b, 16)) for a, b in re.findall(r"\(0x([0-9A-F]+), 0x([0-9A-F]+)\)", text)]
    version = re.search(r"over Unicode ([0-9.]+)", text).group(1)
    return ranges, version


def test_committed_table_is_this_pythons_word_characters():
    ranges, version = committed_table()
    assert version == unicodedata.unidata_version
    assert ranges == load_generator().word_ranges()


def test_exporter_knows_the_tables_unicode_version():
    assert WORD_CHARS_UNICODE == committed_table()[1]
