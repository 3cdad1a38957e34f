"""Hand annotation: the facts two or more seed articles report, and where.

Each fact lists (seed file, a piece of the sentence that states it). Made by
reading the five articles side by side, independently of digest's aligner, so it
can judge digest and the baselines alike. A sentence that states several facts
appears under each.
"""

from __future__ import annotations

A, B, C, D, E = (
    "000_bec47d9d05e10e72.txt",
    "001_53d2f25ad1582e78.txt",
    "002_6c188231047a0d29.txt",
    "003_84711b47524004f0.txt",
    "004_7fbbd0fc90f416ac.txt",
)

FACTS: dict[str, list[tuple[str, str]]] = {
    "met in Iceland on May 19": [
        (A, "This was agreed when the U.S. Secretary of State"),
        (B, "U.S. Secretary of State Antony Blinken held talks with Russian Foreign Minister"),
        (C, "As the meeting got under way in Reykjavik"),
        (D, "have discussed normalising bilateral relations"),
        (E, "In Reykjavik, on the sidelines of a meeting of the Arctic Council"),
    ],
    "serious differences but can work together": [
        (A, "This was agreed when the U.S. Secretary of State"),
        (B, "U.S. Secretary of State Antony Blinken held talks with Russian Foreign Minister"),
        (C, "Russian Foreign Minister Sergei Lavrov says his meeting"),
        (E, "Speaking at a press briefing before the talks"),
        (E, "Sergey Lavrov agreed that Russia and the United States"),
    ],
    "Kremlin: constructive talks, positive signal for a summit": [
        (A, "The Kremlin termed the talks"),
        (B, "The Kremlin has said that what it called constructive talks"),
    ],
    "held on the sidelines of the Arctic Council": [
        (A, "The meeting was held on the sidelines of the Arctic Council meeting."),
        (B, "The meeting was held on the sidelines of a two-day Arctic Council meeting."),
        (C, "The meeting was held on the sidelines of a two-day Arctic Council meeting"),
        (D, "which was held on the margins of an Arctic Council"),
        (E, "In Reykjavik, on the sidelines of a meeting of the Arctic Council"),
    ],
    "first high-level in-person talks since Biden took office": [
        (A, "have agreed to ease tensions in their first meeting"),
        (B, "The meeting was the first high-level, in-person contact"),
        (C, "met for their first high-level, in-person talks"),
        (D, "as they met in person for the first time"),
        (E, "Secretary Blinken and Minister Lavrov held the first high-level face-to-face talks"),
    ],
    "the meeting lasted an hour and 45 minutes": [
        (A, "The meeting lasted an hour and 45 minutes."),
        (E, "lasted one hour and 45 minutes"),
    ],
    "Peskov: Moscow will analyse the talks before Putin decides on meeting Biden": [
        (A, "Kremlin spokesman Dmitry Peskov said Moscow would analyze"),
        (B, "he said Moscow would analyze the talks before Putin"),
    ],
    "Lavrov: views greatly diverge on the international situation": [
        (B, "During the meeting in Reykjavik, Lavrov said he hoped"),
        (C, "As the meeting got under way in Reykjavik"),
        (D, "Lavrov responded by saying that the two countries"),
        (C, 'Lavrov said Russia and the United States had "serious differences in the assessment'),
    ],
    "U.S. official: businesslike, productive, no breakthroughs": [
        (B, "A U.S. official described the meeting as businesslike"),
        (C, "A U.S. official described the meeting as business-like"),
    ],
    "topics: Ukraine, Armenia-Azerbaijan, detained citizens, summit": [
        (B, "The talks between Lavrov and Blinken covered a range of topics"),
        (C, "The talks between Lavrov and Blinken covered a range of topics"),
    ],
    "Lavrov would not say whether Moscow agreed to a summit": [
        (B, "Lavrov declined to respond when asked"),
        (C, "Lavrov declined to respond when asked"),
    ],
    "Lavrov and Blinken will prepare proposals for a possible summit": [
        (B, "But he said he and Blinken would prepare proposals"),
        (C, "But he said he and Blinken would prepare proposals"),
        (E, "adding that he and Secretary of State Blinken would prepare proposals"),
    ],
    "the State Department statement did not mention the summit": [
        (B, "The U.S. State Department, however, did not mention"),
        (C, "The U.S. State Department, however, did not mention"),
        (E, "A press release issued by State Department spokesman Ned Price"),
    ],
    "the Kremlin and White House will announce a summit date": [
        (B, "agreed to leave it to the Kremlin and the White House"),
        (C, "agreed to leave it to the Kremlin and the White House"),
    ],
    "Lavrov: cooperate where interests overlap or collide": [
        (B, "Lavrov said Russia and the United States had to cooperate"),
        (C, 'Lavrov said Russia and the United States had "serious differences in the assessment'),
        (E, "Sergey Lavrov agreed that Russia and the United States"),
    ],
    "Lavrov: ready to discuss all issues honestly, with mutual respect": [
        (B, "Lavrov said Russia and the United States had to cooperate"),
        (C, "Lavrov described Russia’s position as simple"),
        (D, "We are prepared to discuss all issues on the table"),
        (E, "We are ready to discuss all issues without exception"),
    ],
    "Blinken pressed for the release of Paul Whelan and Trevor Reed": [
        (B, "State Department spokesman Ned Price said Blinken pushed"),
        (C, "State Department spokesman Ned Price said Blinken pushed"),
        (E, "According to Ned Price, Blinken during the negotiations raised"),
    ],
    "Blinken raised troops at the Ukraine border and Navalny's health": [
        (A, "Media reports said that the U.S. Secretary of State expressed"),
        (A, "Blinken also spoke about the U.S. disquiet"),
        (B, "Blinken also raised concerns about Russian troops"),
        (C, "Blinken also raised concerns about Russian troops"),
        (E, "The Secretary of State also expressed concern"),
    ],
    "Biden wants a predictable, stable relationship; cooperation on pandemic, climate, Iran, North Korea, Afghanistan": [
        (A, "From issues ranging from the pandemic and climate change"),
        (B, "Blinken reiterated that Biden wanted"),
        (C, "Blinken reiterated that Biden wanted"),
        (D, "Blinken said that the US seeks"),
        (E, "Blinken said President Biden wants"),
    ],
    "Blinken: good for our people, the Russian people and the world": [
        (B, "good for the Russian people, and indeed good for the world"),
        (C, "good for the Russian people and indeed good for the world"),
        (E, "good for the Russian people, and really good for the world"),
    ],
    "the U.S. waived sanctions on the Nord Stream 2 builder": [
        (B, "Peskov also hailed the U.S. move to waive sanctions"),
        (E, "However, the Biden administration lifted sanctions imposed on the German company"),
    ],
    "Blinken warned the U.S. will respond to aggressive Russian actions": [
        (D, "if Russia acts aggressively against us"),
        (E, "warned that the United States will respond to Russia’s aggressive actions"),
    ],
}
