"""Message templates: Markdown files with front matter, filled in Jinja2's immutable sandbox.

A template is staff-written text, so it is treated as untrusted: it renders in
`ImmutableSandboxedEnvironment` with `StrictUndefined` (a misspelt variable is an error, not a
blank), its size is capped, and the render runs in a short-lived child process with a wall-clock
time cap and a memory cap, because the sandbox blocks attribute escapes but not CPU burn or a
huge string built in C (RECIPES.md: 3×10⁷ loop steps ran in 1.4 s). Errors name the line and
the variable. Only the standard library and Jinja2 are imported here: the child process loads
this module, and its start-up time is part of every render.
"""

import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from core.comms.errors import TemplateProblem, TemplateTooSlow

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = PROJECT_ROOT / "data" / "templates"
MAX_TEMPLATE_CHARS = 20_000
MAX_OUTPUT_CHARS = 50_000
RENDER_SECONDS = 2.0
# The child needs to start Python and import Jinja2 before the render clock starts.
STARTUP_ALLOWANCE_SECONDS = 8.0
CHILD_MEMORY_BYTES = 512 * 1024 * 1024
TEMPLATE_FILENAME = "<template>"


@dataclass(frozen=True)
class MessageTemplate:
    """One template: its key, what it is for, its default channel, subject and body sources."""

    key: str
    title: str
    description: str = ""
    channel: str = "email"
    subject: str = ""
    body: str = ""
    needs: tuple[str, ...] = ()
    expects_deadline: bool = False
    path: str | None = None
    extra: dict = field(default_factory=dict)


# --- front matter ------------------------------------------------------------------------------


def _scalar(value: str):
    value = value.strip()
    if value.startswith("[") and value.endswith("]"):
        return tuple(_scalar(item) for item in value[1:-1].split(",") if item.strip())
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def split_front_matter(text: str) -> tuple[dict, str, int]:
    """(front matter dict, body, line number where the body starts) of a Markdown file.

    Front matter is the simple `key: value` subset of YAML between two `---` lines: strings
    (optionally quoted), true/false and `[a, b]` lists. No YAML library is needed for that.
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return {}, text, 1
    meta: dict = {}
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            return meta, "".join(lines[number:]), number + 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise TemplateProblem(f"Front matter line {number}: expected 'key: value', found {line.strip()!r}.",
                                  line=number)
        meta[key.strip()] = _scalar(value)
    raise TemplateProblem("The front matter has no closing '---' line.", line=1)


def parse_template(text: str, *, key: str, path: str | None = None) -> MessageTemplate:
    """A template from the text of a Markdown file with front matter."""
    meta, body, _start = split_front_matter(text)
    known = {"title", "description", "channel", "subject", "needs", "expects_deadline"}
    needs = meta.get("needs", ())
    return MessageTemplate(key=key, title=str(meta.get("title", key.replace("_", " ").capitalize())),
                           description=str(meta.get("description", "")), channel=str(meta.get("channel", "email")),
                           subject=str(meta.get("subject", "")), body=body.lstrip("\n"),
                           needs=tuple(needs) if isinstance(needs, tuple) else (needs,) if needs else (),
                           expects_deadline=bool(meta.get("expects_deadline", False)), path=path,
                           extra={k: v for k, v in meta.items() if k not in known})


def load_templates(directory: Path = TEMPLATES_DIR) -> dict[str, MessageTemplate]:
    """Every `*.md` template in the directory, keyed by file name without extension, sorted by title."""
    found = [parse_template(path.read_text(encoding="utf-8"), key=path.stem, path=str(path))
             for path in sorted(Path(directory).glob("*.md"))]
    return {t.key: t for t in sorted(found, key=lambda t: t.title)}


# --- the sandbox (runs in the child process) ----------------------------------------------------


class CappedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, plus refusals for operators that build huge values in C in one step."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
            raise SecurityError("powers above 64 are not allowed in a template")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) \
                        and len(seq) * times > MAX_OUTPUT_CHARS:
                    raise SecurityError("repeating text this many times would make the message too long")
        if operator == "%" and isinstance(left, str):
            raise SecurityError("'%' string formatting is not allowed in a template; write the text out")
        return super().call_binop(context, operator, left, right)


def sandbox() -> CappedSandbox:
    """A fresh sandboxed environment: strict undefined variables, no HTML autoescape, trimmed blocks."""
    env = CappedSandbox(undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True,
                        keep_trailing_newline=True)
    env.globals.pop("lipsum", None)
    env.filters["thousands"] = _thousands  # generates text in a Python loop: no use in a message
    for name in ("center", "indent"):
        original = env.filters[name]
        env.filters[name] = _width_capped(name, original)
    env.filters["format"] = _refuse("format", "'format' is not allowed in a template; write the text out")
    env.filters["replace"] = _bounded_replace(env.filters["replace"])
    return env


def _thousands(value) -> str:
    """12345 → '12,345' (text passes through unchanged)."""
    return f"{value:,}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def _width_capped(name, original):
    def capped(*args, **kwargs):
        numbers = [a for a in args[1:] if isinstance(a, int) and not isinstance(a, bool)]
        numbers += [v for v in kwargs.values() if isinstance(v, int) and not isinstance(v, bool)]
        if any(abs(n) > 500 for n in numbers):
            raise SecurityError(f"the '{name}' filter is limited to widths of 500")
        return original(*args, **kwargs)
    capped.jinja_pass_arg = getattr(original, "jinja_pass_arg", None)
    return capped


def _refuse(name, message):
    def refuse(*_args, **_kwargs):
        raise SecurityError(message)
    return refuse


def _bounded_replace(original):
    def replace(*args, **kwargs):
        # An empty 'old' inserts 'new' between every character: the size grows with the square.
        values = [a for a in args if isinstance(a, str)]
        if len(values) >= 2 and values[1] == "":
            raise SecurityError("'replace' needs a non-empty text to find")
        return original(*args, **kwargs)
    replace.jinja_pass_arg = getattr(original, "jinja_pass_arg", None)
    return replace


def _template_line(exc: BaseException) -> int | None:
    tb, line = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == TEMPLATE_FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _undefined_variable(message: str) -> str | None:
    for pattern in (r"^'([^']+)' is undefined", r"has no attribute '([^']+)'", r"no element '([^']+)'",
                    r"has no element ([^\s]+)"):
        found = re.search(pattern, message)
        if found:
            return found.group(1)
    return None


def _describe(exc: Exception, *, part: str, variables: dict) -> dict:
    line = getattr(exc, "lineno", None) if isinstance(exc, TemplateSyntaxError) else _template_line(exc)
    where = f"{part}, line {line}" if line else part
    if isinstance(exc, UndefinedError):
        name = _undefined_variable(str(exc))
        if name and re.fullmatch(r"\w+", name) and name not in variables:
            available = ", ".join(sorted(variables)) or "none"
            message = (f"{where}: the template uses the variable '{name}', which this message does not have. "
                       f"Available: {available}.")
        else:
            message = f"{where}: '{name or exc}' is not a field of this variable. ({exc})"
        return {"message": message, "line": line, "variable": name}
    if isinstance(exc, TemplateSyntaxError):
        return {"message": f"{where}: the template has a syntax problem: {(exc.message or '').rstrip('.')}.", "line": line,
                "variable": None}
    if isinstance(exc, SecurityError):
        return {"message": f"{where}: not allowed in a template: {str(exc).rstrip('.')}.", "line": line, "variable": None}
    if isinstance(exc, MemoryError):
        return {"message": f"{where}: the template needs too much memory to fill.", "line": line, "variable": None}
    return {"message": f"{where}: the template could not be filled: {exc}.", "line": line, "variable": None}


def render_in_sandbox(source: str, variables: dict, *, part: str = "body") -> str:
    """Fill one template text in this process's sandbox (no time cap: use `render` from outside)."""
    if len(source) > MAX_TEMPLATE_CHARS:
        raise TemplateProblem(f"The {part} template is {len(source):,} characters; the limit is "
                              f"{MAX_TEMPLATE_CHARS:,}.")
    try:
        result = sandbox().from_string(source).render(**variables)
    except (TemplateError, MemoryError, RecursionError, OverflowError, TypeError, ValueError) as exc:
        info = _describe(exc, part=part, variables=variables)
        raise TemplateProblem(info["message"], line=info["line"], variable=info["variable"]) from exc
    if len(result) > MAX_OUTPUT_CHARS:
        raise TemplateProblem(f"The filled {part} is {len(result):,} characters; the limit is {MAX_OUTPUT_CHARS:,}.")
    return result


# --- the parent side -----------------------------------------------------------------------------


def render(subject: str, body: str, variables: dict, *, seconds: float = RENDER_SECONDS) -> tuple[str, str]:
    """(subject, body) filled from plain variables in a child process with a time and memory cap."""
    if len(subject) + len(body) > MAX_TEMPLATE_CHARS:
        raise TemplateProblem(f"The template is {len(subject) + len(body):,} characters; the limit is "
                              f"{MAX_TEMPLATE_CHARS:,}.")
    payload = json.dumps({"subject": subject, "body": body, "variables": variables, "seconds": seconds},
                         default=str)
    try:
        done = subprocess.run([sys.executable, "-m", "core.comms.render_worker"], input=payload, text=True,
                              capture_output=True, cwd=PROJECT_ROOT, timeout=seconds + STARTUP_ALLOWANCE_SECONDS)
    except subprocess.TimeoutExpired as exc:
        raise TemplateTooSlow(f"The template took longer than {seconds:g} s to fill; look for a loop that "
                              "never ends or a very large range.") from exc
    try:
        answer = json.loads(done.stdout)
    except json.JSONDecodeError:
        answer = None
    if not answer:
        if done.returncode < 0 or "TemplateTooSlow" in done.stderr:
            raise TemplateTooSlow(f"The template took longer than {seconds:g} s to fill; look for a loop that "
                                  "never ends or a very large range.")
        raise TemplateProblem("The template could not be filled (the renderer stopped: "
                              f"{done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}).")
    if answer.get("slow"):
        raise TemplateTooSlow(answer["message"], line=answer.get("line"))
    if not answer["ok"]:
        raise TemplateProblem(answer["message"], line=answer.get("line"), variable=answer.get("variable"))
    return answer["subject"], answer["body"]


def render_template(template: MessageTemplate, variables: dict, *, seconds: float = RENDER_SECONDS) -> tuple[str, str]:
    """(subject, body) of a template filled from plain variables, with the caps of `render`."""
    return render(template.subject, template.body, variables, seconds=seconds)
