"""常用答复 on /hotline (pure): the standard answers an operator reads out or inserts into the description while
taking a call; a click appends the answer's text at the end of 诉求内容 (callbacks/standard_answers.py)."""
from __future__ import annotations

from dash import html

ANSWER = "hotline-answer"          # pattern id {"type": ANSWER, "id": n}
CARD = "hotline-answers"


def answers_card(answers: list[dict]) -> html.Div:
    if not answers:
        return html.Div(id=CARD)
    return html.Div([
        html.H2("常用答复", className="card-title"),
        html.Div("点击插入到诉求内容末尾（管理员可在系统管理中编辑）", className="muted"),
        html.Ul([html.Li(html.Button([html.B(a["title"]),
                                      html.Span(f"（{a['category_name']}）" if a["category_name"] else ""),
                                      html.Div(a["body"], className="answer-body")],
                                     id={"type": ANSWER, "id": a["id"]}, n_clicks=0, type="button",
                                     className="answer-insert", title="插入到诉求内容", **{"data-text": a["body"]}))
                 for a in answers], className="answer-list"),
    ], id=CARD, className="card answers-card")
