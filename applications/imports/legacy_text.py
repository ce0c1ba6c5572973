"""Vietnamese typed with the pre-Unicode fonts: TCVN3 (".VnTime", ABC) is converted,
VNI ("VNI-Times") is recognised and refused with a message.

Both encodings put Vietnamese letters on the code points of Latin-1 and rely on a special
font to draw them, so a cell that Excel shows correctly with .VnTime holds, in the file,
"C«ng ty" for "Công ty". TCVN3 is one character per letter (a table); VNI writes a base
letter followed by a mark character ("Coâng ty"), which we detect but do not rebuild.
"""

import re

# TCVN 5712:1993 (VN3), the byte of each Vietnamese letter. Upper-case letters that
# have no own code were typed with the ".VnTimeH" capital font using these same codes,
# so they come back lower-case; that is the most that can be recovered.
_TCVN3 = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}
_TCVN3_TABLE = str.maketrans({chr(code): letter for code, letter in _TCVN3.items()})

# Latin-1 letters that Unicode Vietnamese uses itself; anything else in U+00A1–U+00FE
# inside a word is a legacy code.
_UNICODE_VIETNAMESE_LATIN1 = set("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")
# Codes TCVN3 uses for the commonest letters (â ê ô ơ ư đ à ả ã á ạ …) that never appear
# in Unicode Vietnamese nor in VNI: one of them marks the cell as TCVN3.
_TCVN3_STRONG = re.compile(r"[\u00a1-\u00bf]")
# Further TCVN3 codes (ặ ầ ậ ẻ ẽ é ẹ) that VNI shares for other letters: decisive only
# when the cell shows no sign of VNI.
_TCVN3_WEAK = re.compile(r"[\u00c6\u00c7\u00cb\u00ce-\u00d1\u00d7\u00d8\u00dc\u00de\u00df]")
# VNI: a base vowel followed by its circumflex mark (oâ = ô, eâ = ê, aâ = â), one of its
# tone or breve characters that Unicode Vietnamese never uses, or its đ/Đ and ư/Ư codes.
_VNI_MARKERS = re.compile(r"[aeoAEO][\u00e2\u00c2]|[\u00f8\u00fb\u00ef\u00e5\u00e4\u00fc\u00eb\u00e6"
                          r"\u00d8\u00db\u00cf\u00c5\u00c4\u00dc\u00cb\u00c6\u00f1\u00d1\u00f6\u00d6]")
# Letters only Unicode Vietnamese has (ă đ ơ ư and the precomposed block): such a cell is
# already Unicode whatever else it contains.
_UNICODE_ONLY = re.compile(r"[\u0102\u0103\u0110\u0111\u01a0\u01a1\u01af\u01b0\u1ea0-\u1ef9]")


def looks_tcvn3(text: str) -> bool:
    if not text or _UNICODE_ONLY.search(text):
        return False
    if _TCVN3_STRONG.search(text):
        return True
    return bool(_TCVN3_WEAK.search(text)) and not _VNI_MARKERS.search(text)


def looks_vni(text: str) -> bool:
    if not text or _UNICODE_ONLY.search(text):
        return False
    return bool(_VNI_MARKERS.search(text))


def tcvn3_to_unicode(text: str) -> str:
    return text.translate(_TCVN3_TABLE)


def to_unicode(text: str) -> tuple[str, str]:
    """``(text, how)``: ``how`` is "" (already Unicode), "tcvn3" (converted) or "vni"
    (recognised, not converted: the caller refuses the cell)."""
    if not text or text.isascii():
        return text, ""
    if looks_tcvn3(text):
        return tcvn3_to_unicode(text), "tcvn3"
    if looks_vni(text):
        return text, "vni"
    return text, ""
