"""The words the person agrees to before any face is compared, and their version.

The consent page shows :data:`CONSENT_TEXT` as it is here, and the proofing record
keeps :data:`CONSENT_VERSION` with :data:`CONSENT_SHA256` (the hash of that text), so a
record says exactly what was agreed to. Change the text only with a new version.
"""

from __future__ import annotations

import hashlib

from idp.proofing.biometrics.store import RETENTION_SECONDS
from idp.proofing.protocol import Consent

CONSENT_SUBJECT = "automated_face_comparison"
CONSENT_VERSION = "selfie-consent-1"
CONSENT_TEXT = (
    "What we compare: a photo of your face, taken now with your camera (or a photo you "
    "upload), with the portrait printed on your ID. This checks that the ID is yours, "
    "instead of mailing you a letter.",
    "Who compares them: software, not a person. We use face_recognition, an open-source "
    "library built on dlib, running on our own servers. No other company receives your "
    "photos.",
    "How long we keep them: your selfie is compared in memory as soon as it arrives and "
    "is never stored. The photo of your ID is kept encrypted only until the comparison "
    "is decided, usually a few seconds after you take your selfie, and never longer "
    f"than {RETENTION_SECONDS // 60} minutes if you stop part-way. We keep no face "
    "template.",
    "Who sees them: no one. Our staff and the agency you are signing in to never see "
    "your photos; the agency only learns that a face comparison was made.",
    "Each time we delete your photos you get a signed receipt on your account page. You "
    "can also delete them yourself at any time from your account page.",
)
CONSENT_SHA256 = hashlib.sha256("\n".join(CONSENT_TEXT).encode()).hexdigest()


def consent_given() -> Consent:
    """The consent to record once the person agreed to :data:`CONSENT_TEXT`."""
    return Consent(CONSENT_SUBJECT, CONSENT_VERSION, CONSENT_SHA256)
