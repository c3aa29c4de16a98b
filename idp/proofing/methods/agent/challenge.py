"""The spoken one-time challenge: a few plain words and a number the agent asks the
person to say on camera. A video recorded earlier, or played back by someone else,
cannot contain them, since they are drawn when the agent takes the call."""

from __future__ import annotations

import secrets

# Short words that sound unlike each other and are easy to say and to hear.
WORDS = (
    "apple", "bridge", "candle", "desert", "eagle", "forest", "garden", "harbor",
    "island", "jacket", "kettle", "lemon", "meadow", "needle", "orange", "pencil",
    "quarter", "river", "saddle", "tiger", "umbrella", "valley", "window", "yellow",
    "anchor", "basket", "cactus", "dolphin", "engine", "feather", "guitar", "hammer",
    "iron", "jungle", "ladder", "marble", "napkin", "ocean", "pepper", "rocket",
    "silver", "tunnel", "violin", "walnut", "zebra", "button", "copper", "dragon",
    "falcon", "ginger", "helmet", "igloo", "lantern", "mirror", "nickel", "pillow",
    "rabbit", "summer", "thunder", "velvet", "winter", "blanket", "cherry", "planet",
)  # fmt: skip
WORD_COUNT = 3


def new_challenge() -> str:
    """Three words and a number from 10 to 99, for example ``"river 47 lantern candle"``
    (about 24 bits: enough for a phrase that lives one call)."""
    words = [secrets.choice(WORDS) for _ in range(WORD_COUNT)]
    number = str(10 + secrets.randbelow(90))
    return " ".join([words[0], number, *words[1:]])
