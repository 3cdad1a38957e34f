"""Hand annotation of the five seed articles: which lines are the article.

Line numbers are 1-based in ``seeds/<file>``. Everything not listed as headline or
body is page clutter (navigation, captions, credits, lists of other articles,
comment forms, bios, notices). Made by reading each file, not by running digest.
"""

HEADLINE = {
    "000_bec47d9d05e10e72.txt": 1,
    "001_53d2f25ad1582e78.txt": 5,
    "002_6c188231047a0d29.txt": 1,
    "003_84711b47524004f0.txt": 4,
    "004_7fbbd0fc90f416ac.txt": 1,
}

BODY = {
    "000_bec47d9d05e10e72.txt": [3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23],
    "001_53d2f25ad1582e78.txt": list(range(11, 42, 2)),
    "002_6c188231047a0d29.txt": list(range(5, 30, 2)),
    # line 6 is a teaser that repeats line 18 and names the outlet; line 16 a caption
    "003_84711b47524004f0.txt": [8, 10, 12, 14, 18, 20, 22, 24],
    "004_7fbbd0fc90f416ac.txt": list(range(3, 42, 2)),
}
