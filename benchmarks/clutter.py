"""Page clutter in shapes the seeds do not have, written for the clean benchmark.

Each block is what one piece of page furniture looks like when its text is copied
with the article: cookie banners, newsletter prompts, share bars, photo credits,
"Related" lists, comment counts, timestamps, ads. Blocks are inserted into real
article bodies (the seeds' annotated body lines) at the top, in the middle and at
the end, so the benchmark measures both sides: clutter removed, body kept.
"""

from __future__ import annotations

import random

from benchmarks.seed_truth import BODY, HEADLINE
from digest.model import RawSource
from tests.conftest import seed_sources

TOP = [
    ["Skip to main content", "Menu", "Search"],
    [
        "We value your privacy",
        "We and our partners use cookies to store and access information on your device.",
        "Accept all",
        "Manage preferences",
    ],
    ["World", "Europe", "Politics"],
    ["Listen to this article", "4 min"],
    ["Updated 2 hours ago"],
    ["Tuesday 18 May 2021 06.00 BST"],
    ["By Maria Jensen and Tom Okafor"],
    ["Last modified: 21 May 2021 09:15"],
]
MIDDLE = [
    ["Advertisement"],
    ["Story continues below advertisement"],
    ["Photo: Reuters/Anna Larsen"],
    ["(Photo by Tom Berg/AFP via Getty Images)"],
    ["Related: EU ministers meet on energy prices"],
    ["READ MORE: Five things to know about the Arctic Council"],
    ["Sign up for our daily briefing", "Enter your email address", "Subscribe"],
    ["Sponsored content"],
    ["Image credit: City Archive"],
]
BOTTOM = [
    ["Share this article", "Facebook", "Twitter", "LinkedIn", "Email", "Copy link"],
    [
        "Related stories",
        "Harbour festival draws record crowds",
        "May 17, 2021",
        "Council approves new bike lanes",
        "May 16, 2021",
        "Local bakery wins national award",
        "May 15, 2021",
    ],
    ["You might also like", "Ten hiking trails for the long weekend", "The best budget phones of the year"],
    ["12 comments", "Join the conversation", "Comments are closed."],
    ["Be the first to comment", "Log in to comment"],
    ["Get the morning briefing in your inbox", "Join 50,000 readers who get our daily newsletter."],
    ["Topics: Diplomacy, Russia, United States"],
    ["Follow us on Twitter", "Follow us on Facebook"],
    ["© 2021 Example Media Group. All rights reserved.", "Privacy policy", "Terms of use", "Contact us"],
    ["Most read", "Stock markets slip as tech shares fall", "Heatwave warning issued for the south"],
]


# Held out: written in one go before the cleaner was run on it, and never used to
# tune it, so its score estimates clutter nobody has seen yet.
HELD_OUT_TOP = [
    ["Home", "News", "World", "Sport", "Business"],
    ["Sign in", "Register"],
    ["Breaking", "Live updates"],
    ["Share", "Save"],
    ["Published 3 hours ago"],
    ["Reading time: 3 minutes"],
    ["This article is more than 4 years old"],
    ["Posted at 14:32 GMT"],
]
HELD_OUT_MIDDLE = [
    ["ADVERTISEMENT"],
    ["Recommended"],
    ["Watch: Ministers arrive in Reykjavik (0:45)"],
    ["Click here to read our live coverage"],
    ["Caption: The foreign ministers before their talks. Credit: Pool via AP"],
    ["Continue reading the main story"],
    ["Don't want to miss a story? Get our app"],
]
HELD_OUT_BOTTOM = [
    ["More from World", "Floods hit northern towns", "Elections: what to expect next week"],
    ["Comments (7)", "Sort by: Newest"],
    ["Was this article helpful?", "Yes", "No"],
    ["Report a correction"],
    ["Download our app", "App Store", "Google Play"],
    ["Copyright 2021 Example News. This material may not be published, broadcast, rewritten or redistributed."],
    ["Tags", "Russia", "USA", "Diplomacy"],
    ["About the author", "Jane Roe covers foreign affairs from Brussels and has reported from 30 countries."],
    ["Newsletter", "The best of our journalism, every weekday morning."],
    ["Share on WhatsApp", "Share on Telegram"],
]


# Held out, second set: written after the first held-out set had been used to
# find weaknesses (so that one is no longer unseen). Measured, never tuned on.
FRESH_TOP = [
    ["Jump to navigation"],
    ["Log in", "Create account"],
    ["International edition"],
    ["Wed 19 May 2021 22.41 EDT"],
    ["First published on Wed 19 May 2021 18.05 EDT"],
    ["Text size", "A", "A", "A"],
    ["Live", "Ukraine", "Coronavirus", "Climate"],
]
FRESH_MIDDLE = [
    ["Pictured: the two delegations at the Harpa concert hall"],
    ["Read our full coverage of U.S.-Russia relations"],
    ["Support independent journalism today"],
    ["Scroll down to continue"],
    ["Embedded content"],
    ["This content is not available in your region"],
]
FRESH_BOTTOM = [
    ["Explore more on these topics", "Russia", "Antony Blinken", "Sergei Lavrov", "Iceland"],
    ["Reuse this content"],
    ["Most viewed", "Markets rally after central bank decision", "Storm brings snow to the Alps"],
    ["Opinion", "Why the Arctic matters more than ever", "Letters: readers on diplomacy"],
    ["Sort by", "Oldest", "Newest", "Loading comments"],
    ["Our journalists are committed to accuracy.", "Contact the newsroom"],
    ["Trending now", "Royal family news", "Weather: weekend forecast"],
    ["Published by Example News Ltd, registered in England no. 1234567"],
]


def injected_story(seed: int = 7, corpus: str = "tuned") -> list[tuple[RawSource, set[int], set[int]]]:
    """The five seeds' headline and body lines with new clutter around and inside.

    Returns (source, body line numbers, clutter line numbers) per source.
    """
    sets = {
        "tuned": (TOP, MIDDLE, BOTTOM),
        "held-out-1": (HELD_OUT_TOP, HELD_OUT_MIDDLE, HELD_OUT_BOTTOM),
        "held-out-2": (FRESH_TOP, FRESH_MIDDLE, FRESH_BOTTOM),
    }
    top, middle_blocks, bottom = sets[corpus]
    rng = random.Random(seed)
    result = []
    for number, raw in enumerate(seed_sources(), start=1):
        name = raw.path.split("/")[-1]
        lines = raw.text.split("\n")
        body = [lines[n - 1].strip() for n in BODY[name]]
        blocks: list[tuple[str, list[str]]] = [("title", [lines[HEADLINE[name] - 1].strip()])]
        blocks += [("clutter", rng.choice(top)) for _ in range(2)]
        middle = rng.sample(middle_blocks, 3)
        cuts = sorted(rng.sample(range(2, len(body) - 1), 3))
        start = 0
        for cut, block in zip(cuts, middle, strict=True):
            blocks += [("body", [b]) for b in body[start:cut]] + [("clutter", block)]
            start = cut
        blocks += [("body", [b]) for b in body[start:]]
        blocks += [("clutter", block) for block in rng.sample(bottom, 3)]
        text_lines: list[str] = []
        body_lines: set[int] = set()
        clutter_lines: set[int] = set()
        for kind, block in blocks:
            for line in block:
                text_lines += [line, ""]
                if kind == "body":
                    body_lines.add(len(text_lines) - 1)
                elif kind == "clutter":
                    clutter_lines.add(len(text_lines) - 1)
        source = RawSource(f"s{number}", f"injected/{name}", "\n".join(text_lines), outlet=raw.outlet)
        result.append((source, body_lines, clutter_lines))
    return result
