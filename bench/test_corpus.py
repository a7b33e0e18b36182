"""Tests of bench/corpus.py and bench/corpus_claims.py (stdlib only):

    python3 -m unittest discover -s bench -p 'test_*.py'

The end-to-end test runs the real qa-lint (target/release/qa-lint, or $QA_LINT) and is skipped
when there is none. The Markdown here is written for these tests.
"""
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import corpus  # noqa: E402
from corpus_claims import PROBE_CODE, find_claims, literal, mutate_literal, mutate_text, probe, scan_blocks  # noqa: E402


def md(text):
    return textwrap.dedent(text).lstrip("\n")


def claims_of(text):
    blocks = scan_blocks("t.md", text)
    return [c for i, b in enumerate(blocks) for c in find_claims(b, i)]


class Fences(unittest.TestCase):
    def test_languages_attributes_and_indentation(self):
        text = md("""
            ```Python {test="skip"}
            a = 1
            ```

            !!! note
                ```{.python .annotate}
                b = 2
                ```

            ~~~py title="x.py"
            c = 3
            ~~~

            ```bash
            echo no
            ```

            ```pycon
            >>> 1
            1
            ```
            """)
        blocks = scan_blocks("t.md", text)
        self.assertEqual([b.lines[0].strip() for b in blocks], ["a = 1", "b = 2", "c = 3", ">>> 1"])
        self.assertEqual([b.kind for b in blocks], ["python", "python", "python", "session"])
        self.assertEqual(blocks[0].marker, "test-skip")
        self.assertEqual(blocks[1].indent, 4)
        self.assertEqual(blocks[1].first, 7)

    def test_python_block_starting_with_a_prompt_is_a_session(self):
        blocks = scan_blocks("t.md", "```python\n\n# setup\n>>> x = 1\n```\n")
        self.assertEqual(blocks[0].kind, "session")

    def test_unterminated_fence_runs_to_the_end(self):
        blocks = scan_blocks("t.md", "```python\nprint(1)  # 1\n")
        self.assertEqual(blocks[0].lines, ["print(1)  # 1"])

    def test_version_marker(self):
        blocks = scan_blocks("t.md", '```py requires="3.12"\nx\n```\n')
        self.assertEqual(blocks[0].marker, "requires-3.12")
        self.assertTrue(corpus.excused(blocks[0], (3, 11)))
        self.assertFalse(corpus.excused(blocks[0], (3, 13)))


class Claims(unittest.TestCase):
    def test_literal_claims_and_their_columns(self):
        text = "```python\nprint(x)  # [1, 2]\nf()  #  'a#b'\ny  # -3\n```\n"
        cs = claims_of(text)
        self.assertEqual([(c.lines, c.text, c.kind) for c in cs],
                         [([2], "[1, 2]", "literal"), ([3], "'a#b'", "literal"), ([4], "-3", "literal")])
        lines = text.split("\n")
        for c in cs:
            self.assertEqual(lines[c.lines[0] - 1][c.col:c.col + len(c.text)], c.text)

    def test_prose_headers_brackets_and_strings_are_not_claims(self):
        text = md("""
            ```python
            ok = check()  # OK
            note()  # (1)!
            step()  # (2)
            def f():  # 3
                pass
            total = [
                1,  # 1
            ]
            s = "# 4"
            # 5
            g()  # ...
            ```
            """)
        self.assertEqual(claims_of(text), [])

    def test_pytest_examples_runs_are_one_claim(self):
        text = md("""
            ```py
            print(m)
            #> Model(a=1,
            #>       b=2)
            print(3)
            #> 3
            ```
            """)
        cs = claims_of(text)
        self.assertEqual([(c.lines, c.text, c.kind) for c in cs],
                         [([3, 4], "Model(a=1,", "pydantic"), ([6], "3", "pydantic")])

    def test_labelled_claims_are_their_own_kind(self):
        cs = claims_of("```python\nprint(2)  # Output: 2\nf()  # => 'x'\ng()  # prints hello\n```\n")
        self.assertEqual([(c.text, c.kind) for c in cs], [("2", "prefixed"), ("'x'", "prefixed")])

    def test_transcript_outputs_that_are_one_literal_line(self):
        text = md("""
            ```pycon
            >>> x = [1,
            ...      2]
            >>> x
            [1, 2]
            >>> print('hi')
            hi
            >>> 1 / 0
            Traceback (most recent call last):
            ZeroDivisionError: division by zero
            >>> len(x)
            2
            ```
            """)
        cs = claims_of(text)
        # mutated on the output line; the prompt line is where qa-lint reports a session mismatch
        self.assertEqual([(c.lines, c.text, c.kind) for c in cs],
                         [([5, 4], "[1, 2]", "transcript"), ([12, 11], "2", "transcript")])

    def test_untokenizable_block_still_yields_claims(self):
        # tokenize gives up at the end (an open bracket); what it read before still counts
        cs = claims_of("```python\nprint(1)  # 1\nif x\n  y = (  # 2\n```\n")
        self.assertEqual([c.text for c in cs], ["1"])


class Mutations(unittest.TestCase):
    def test_every_mutation_is_a_different_value_of_the_same_shape(self):
        cases = ["3", "-3", "2.5", "1e300", "2j", "True", "False", "None", "'abc'", '"x"', "'a\\n'",
                 "b'ab'", "''", "[1, 2, 3]", "(1,)", "{'a': 1, 'b': 2}", "{2, 1}", "[]", "()", "{}",
                 "set()", "[[]]", "[True, 1]", "'10'"]
        for text in cases:
            with self.subTest(text=text):
                new = mutate_literal(text)
                ok, value = literal(new)
                self.assertTrue(ok, new)
                self.assertNotEqual(value, literal(text)[1])
                if text not in ("None", "[]", "()", "{}", "set()"):
                    self.assertIs(type(value), type(literal(text)[1]))

    def test_examples(self):
        self.assertEqual(mutate_literal("[1, 2, 3]"), "[1, 2, 4]")
        self.assertEqual(mutate_literal("'abc'"), "'abx'")
        self.assertEqual(mutate_literal("None"), "False")
        self.assertEqual(mutate_text("a=1 b='x'"), "a=2 b='x'")
        self.assertEqual(mutate_text("Queue is empty"), "Queue is empta")

    def test_not_literals(self):
        for text in ["OK", "x + 1", "f()", "...", "", "[1, *a]", "{**d}"]:
            self.assertFalse(literal(text)[0], text)
            self.assertIsNone(mutate_literal(text))


class Probe(unittest.TestCase):
    def test_probe_goes_after_future_imports_and_keeps_line_ends(self):
        text = "# T\r\n\r\n```python\r\n# setup\r\nfrom __future__ import annotations\r\nx = 1\r\n```\r\n" \
               "\r\n    ```pycon\r\n    >>> 1\r\n    1\r\n    ```\r\n"
        blocks = scan_blocks("t.md", text)
        new, where = probe(blocks, text)
        lines = new.split("\r\n")
        self.assertEqual(lines[where[0][0] - 1], PROBE_CODE)
        self.assertEqual(lines[where[0][0] - 2], "from __future__ import annotations")
        self.assertEqual([lines[i - 1] for i in where[1]], ["    >>> 6 * 7", "    41"])
        self.assertNotIn("\n", new.replace("\r\n", ""))


class Verdicts(unittest.TestCase):
    def claim(self, text="3", mutated="4"):
        c = claims_of(f"```python\nf()  # {text}\n```\n")[0]
        c.mutated = mutated
        return c

    def diag(self, rule, message, line=2):
        return {"rule": rule, "message": message, "line": line}

    def test_output_mismatch_is_caught(self):
        c = self.claim()
        corpus.judge(c, [], [self.diag("output-mismatch", "claimed `4`, got `3`")])
        self.assertEqual(c.verdict, "caught")

    def test_exception_quoting_the_claim_is_not_a_catch(self):
        c = self.claim()
        before = [self.diag("unexpected-exception", "E raised where the comment claims `3`")]
        after = [self.diag("unexpected-exception", "E raised where the comment claims `4`")]
        corpus.judge(c, before, after)
        self.assertEqual(c.verdict, "missed")

    def test_unchanged_message_with_the_digit_is_not_new(self):
        c = self.claim("1", "2")
        same = [self.diag("code-outside-entries", "12 blocks did not run")]
        corpus.judge(c, same, same)
        self.assertEqual(c.verdict, "missed")

    def test_new_diagnostic_of_another_rule_is_wrong_rule(self):
        c = self.claim()
        corpus.judge(c, [], [self.diag("claim-format", "written differently")])
        self.assertEqual(c.verdict, "wrong-rule")

    def test_only_diagnostics_starting_on_the_line_count(self):
        by = {"t.md": [{"rule": "x", "message": "m", "line": 1, "end_line": 9}]}
        self.assertEqual(corpus.at(by, "t.md", [2]), [])

    def test_summary_table(self):
        with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False) as f:
            f.write("## qa-lint\n\n| | |\n|---|---|\n| Files | 2 |\n| Claims verified | 7 |\n\n"
                    "| Rule | Code | Count |\n|---|---|---|\n| output-mismatch | QA201 | 1 |\n")
        self.assertEqual(corpus.parse_summary(Path(f.name)), {"Files": "2", "Claims verified": "7"})
        os.unlink(f.name)


QA = os.environ.get("QA_LINT", corpus.DEFAULT_QA)


@unittest.skipUnless(os.access(QA, os.X_OK), "no qa-lint binary")
class EndToEnd(unittest.TestCase):
    def test_small_corpus(self):
        page = md("""
            ## 1. What does sorted return?

            **Short answer:** a new list.

            ```python
            print(sorted([3, 1]))  # [1, 3]
            len([1])  # 1
            ```

            ## Notes

            ```python
            print(2)  # 2
            ```
            """)
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "root" / "repo").mkdir(parents=True)
            (Path(d) / "root" / "repo" / "a.md").write_text(page)
            out = subprocess.run([sys.executable, str(BENCH / "corpus.py"), f"{d}/root", "--qa-lint", QA,
                                  "--modes", "qa", "--work", f"{d}/w", "--json", f"{d}/r.json"],
                                 capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stderr)
            m = json.loads(Path(f"{d}/r.json").read_text())["corpora"][0]["modes"]["qa"]
            self.assertEqual(m["claims"], 3)
            self.assertEqual(m["blocks_probed"], 2)
            # qa mode: `## Notes` is no entry, so its block does not run and its claim is missed
            self.assertEqual(m["blocks_run"], 1)
            self.assertEqual(m["judged"], 2)
            self.assertEqual([c["verdict"] for c in m["claim_list"]], ["caught", "caught", "missed"])
            self.assertIn("| repo | qa | 1 | 1 | 2 | 1 |", out.stdout)  # files, entries, blocks, run
            self.assertEqual(sorted(os.listdir(f"{d}/root/repo")), ["a.md"])


if __name__ == "__main__":
    unittest.main()
