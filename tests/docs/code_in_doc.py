#!/usr/bin/env python3
"""Exit 0 when the source file appears, whole and unchanged, as one fenced
code block of the Markdown document; else say where they part.
Usage: code_in_doc.py DOC.md SOURCE"""
import re
import sys


def main():
    doc, src = sys.argv[1], sys.argv[2]
    text = open(doc).read()
    code = open(src).read()
    blocks = re.findall(r"^```c\n(.*?)^```", text, flags=re.S | re.M)
    if code in blocks:
        print("%s: %s is shown whole (%d lines)" % (doc, src, code.count("\n")))
        return 0
    best = max(blocks, key=lambda b: len(set(b.splitlines()) & set(code.splitlines())),
               default="")
    for i, (a, b) in enumerate(zip(best.splitlines() + [""] * 1000,
                                   code.splitlines())):
        if a != b:
            print("%s differs from its copy in %s at line %d:\n  doc:  %s\n  file: %s"
                  % (src, doc, i + 1, a, b))
            break
    else:
        print("%s: no code block holds %s" % (doc, src))
    return 1


if __name__ == "__main__":
    sys.exit(main())
