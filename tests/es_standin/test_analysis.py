"""The standard analyzer's ASCII fast path gives exactly the tokens of its regex definition."""

import random

from fixtures.elasticsearch.analysis import _standard_by_regex, standard


def test_fast_path_matches_regex_on_random_ascii():
    rng = random.Random(11)
    alphabet = list("aZ9_' .,-\t\n()'\"!?\x00\x7f")
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
        assert standard(text) == _standard_by_regex(text), repr(text)


def test_apostrophes_and_mixed_scripts():
    samples = [
        "don't 'quoted' ''' a''b it's' 'x",
        "Hello, World! 3.14 foo_bar (x) e-mail",
        "İstanbul ’smart’ don’t café",
        "",
        "   ",
    ]
    for text in samples:
        assert standard(text) == _standard_by_regex(text), repr(text)
    assert standard("Don't 'Stop' me, Now!") == ["don't", "stop", "me", "now"]
    assert standard("café ’smart’") == ["café", "smart"]
