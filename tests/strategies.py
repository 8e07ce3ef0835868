"""Hypothesis strategies shared by the layout tests: html objects and action lists."""

from hypothesis import strategies as st

from dlt_jax.layout import DEFAULT_VOCAB, JsonObject

# A small alphabet so that repeated keys (siblings and elsewhere) are common.
TAGS = ("div", "a", "p", "h1", "li", "img", "m")
CLASSES = ("row", "c_fff", "pt_7r", "t:fs_18x", "uk@m", "x")


@st.composite
def node_keys(draw) -> str:
    tag = draw(st.sampled_from(TAGS))
    classes = draw(st.lists(st.sampled_from(CLASSES), max_size=2))
    if not classes:
        return tag
    spelling = draw(st.sampled_from(("dot", "at", "dash")))
    if spelling == "dot":
        return tag + "." + ".".join(classes)
    classes = [c for c in classes if "@" not in c] or ["x"]
    return tag + ("@" if spelling == "at" else "-") + "@".join(classes)


@st.composite
def html_objects(draw, max_nodes: int = 14) -> JsonObject:
    budget = [draw(st.integers(1, max_nodes))]

    def children(depth: int) -> JsonObject:
        pairs = []
        while budget[0] > 0 and (not pairs or draw(st.booleans())) and len(pairs) < 4:
            budget[0] -= 1
            key = draw(node_keys())
            if depth < 4 and draw(st.booleans()):
                value = children(depth + 1)
                if draw(st.booleans()):
                    value.append("text", "hello")
            else:
                value = draw(st.sampled_from(("", "Some text")))
            pairs.append((key, value))
        return JsonObject(pairs)

    return children(0)


def actions_for(n: int):
    """Any action on each node, PAD and MASK included (decoding repairs them)."""
    choices = DEFAULT_VOCAB.actions[2:]
    weights = st.sampled_from(choices)
    return st.lists(weights, min_size=n, max_size=n)
