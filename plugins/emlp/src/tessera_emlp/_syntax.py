"""The text form of representations, for configs: ``"2*V + V**2"``, ``"T(1,1)"``,
``"V(0)*V(1)"``. Parsing needs neither torch nor a group; :func:`tessera_emlp.parse_rep`
binds the result to a group.

Grammar (Python expression syntax, nothing else is evaluated): ``V`` (the defining
representation), ``V(i)`` (that of factor ``i`` of a product group), ``Scalar``, ``T(p)``
and ``T(p, q)``, ``x.T`` (dual), ``a + b``, ``k * x``, ``a * b`` (tensor product),
``x ** k``, ``a >> b`` (maps from ``a`` to ``b``), parentheses.
"""

from __future__ import annotations

import ast
from typing import Any

__all__ = ["RepSyntaxError", "parse_rep_syntax"]

Node = tuple[Any, ...]


class RepSyntaxError(ValueError):
    """A representation string does not follow the grammar."""


def parse_rep_syntax(text: str) -> Node:
    """Parse a representation string into a tree of tuples.

    Example:
        >>> parse_rep_syntax("2*V + T(1,1)")
        ('sum', ('mul', 2, ('V', None)), ('T', 1, 1))
    """
    if not isinstance(text, str) or not text.strip():
        raise RepSyntaxError(f"representation must be a non-empty string, got {text!r}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise RepSyntaxError(
            f"representation {text!r} is not valid: {error.msg}; write it like "
            "'2*V + V**2 + T(1,1)'"
        ) from None
    return _node(tree.body, text)


def _int(node: ast.AST, text: str, what: str) -> int:
    if isinstance(node, ast.Constant) and type(node.value) is int and node.value >= 0:
        return node.value
    raise RepSyntaxError(f"representation {text!r}: {what} must be an integer ≥ 0")


def _node(node: ast.AST, text: str) -> Node:
    if isinstance(node, ast.Name):
        if node.id == "V":
            return ("V", None)
        if node.id == "Scalar":
            return ("Scalar",)
        raise RepSyntaxError(
            f"representation {text!r}: unknown name {node.id!r}; use V, Scalar or T(p, q)"
        )
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        args = node.args
        if node.func.id == "V" and len(args) == 1:
            return ("V", _int(args[0], text, "the factor of V(i)"))
        if node.func.id == "T" and len(args) in (1, 2):
            p = _int(args[0], text, "p of T(p, q)")
            q = _int(args[1], text, "q of T(p, q)") if len(args) == 2 else 0
            return ("T", p, q)
        raise RepSyntaxError(f"representation {text!r}: unknown call; use V(i), T(p) or T(p, q)")
    if isinstance(node, ast.Attribute) and node.attr == "T":
        return ("dual", _node(node.value, text))
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Add):
            return ("sum", _node(node.left, text), _node(node.right, text))
        if isinstance(node.op, ast.Mult):
            if isinstance(node.left, ast.Constant):
                return ("mul", _int(node.left, text, "a multiplicity"), _node(node.right, text))
            if isinstance(node.right, ast.Constant):
                return ("mul", _int(node.right, text, "a multiplicity"), _node(node.left, text))
            return ("tensor", _node(node.left, text), _node(node.right, text))
        if isinstance(node.op, ast.Pow):
            return ("pow", _node(node.left, text), _int(node.right, text, "a power"))
        if isinstance(node.op, ast.RShift):
            return ("map", _node(node.left, text), _node(node.right, text))
    raise RepSyntaxError(
        f"representation {text!r}: unsupported expression {ast.unparse(node)!r}; use V, "
        "V(i), Scalar, T(p, q), .T, +, *, ** and >>"
    )
