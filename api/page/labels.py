"""Words of the citizen page in Simplified Chinese and English: event names and public attribute values.

State names come from the policy in force (its ``zh``/``en`` labels); policies name events and attribute
values only by code, so their labels are here. An unknown code is shown as it is.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Label:
    zh: str
    en: str


EVENTS: dict[str, Label] = {
    "register": Label("受理登记", "registered"),
    "resolve_direct": Label("直接办结", "resolved directly"),
    "submit_for_dispatch": Label("提交派单", "sent for dispatch"),
    "dispatch": Label("派单", "dispatched to a department"),
    "recall": Label("撤回派单", "dispatch recalled"),
    "accept": Label("签收", "accepted by the department"),
    "request_return": Label("申请退单", "return requested"),
    "approve_return": Label("同意退单", "return approved"),
    "refuse_return": Label("驳回退单", "return refused"),
    "sub_dispatch": Label("下派", "passed down"),
    "sub_reply": Label("下级回复", "reply from below"),
    "request_extension": Label("申请延期", "extension requested"),
    "approve_extension": Label("同意延期", "extension approved"),
    "refuse_extension": Label("驳回延期", "extension refused"),
    "reply": Label("答复", "replied"),
    "approve_reply": Label("审核通过", "reply approved"),
    "reject_reply": Label("退回重办", "reply rejected"),
    "visit_ok": Label("回访满意办结", "callback done"),
    "visit_dissatisfied": Label("回访不满意", "callback: dissatisfied"),
    "visit_failed": Label("回访未成功", "callback failed"),
    "retry_visit": Label("再次回访", "callback retried"),
    "close": Label("办结", "closed"),
    "reopen": Label("重启", "reopened"),
    "merge": Label("合并", "merged"),
    "reject_invalid": Label("不予受理", "rejected as invalid"),
    "withdraw": Label("撤单", "withdrawn"),
    "archive": Label("归档", "archived"),
    "urge": Label("催办", "urged"),
    "supervise": Label("督办", "supervised"),
    "overdue": Label("超期", "overdue"),
    "evaluate": Label("满意度评价", "rated"),
    "appeal": Label("申诉", "appealed"),
    "erase": Label("个人信息已删除", "personal data erased"),
    "note": Label("备注", "note"),
}

#: Values of the public attributes the page shows, by attribute.
VALUES: dict[str, dict[str, Label]] = {
    "category": {
        "consult": Label("咨询", "consultation"),
        "help": Label("求助", "request for help"),
        "complaint": Label("投诉", "complaint"),
        "report": Label("举报", "report"),
        "suggestion": Label("建议", "suggestion"),
        "praise": Label("表扬", "praise"),
        "utilities": Label("水电气暖", "water, power, gas, heating"),
    },
    "urgency": {
        "normal": Label("一般", "normal"),
        "urgent": Label("紧急", "urgent"),
        "critical": Label("特急", "critical"),
    },
    "level": {
        "normal": Label("一般督办", "supervision"),
        "yellow": Label("黄牌督办", "yellow card"),
        "red": Label("红牌督办", "red card"),
        "cancel": Label("撤销督办", "supervision lifted"),
    },
    "satisfaction": {
        "satisfied": Label("满意", "satisfied"),
        "basically_satisfied": Label("基本满意", "mostly satisfied"),
        "dissatisfied": Label("不满意", "dissatisfied"),
        "no_opinion": Label("未表态", "no opinion"),
    },
    "resolved": {
        "yes": Label("已解决", "resolved"),
        "no": Label("未解决", "not resolved"),
        "no_answer": Label("未回答", "no answer"),
    },
}

#: Attributes a step may show (all public by DESIGN §3), with their names; anything else stays hidden.
ATTRIBUTES: dict[str, Label] = {
    "category": Label("诉求类型", "type"),
    "urgency": Label("紧急程度", "urgency"),
    "unit": Label("承办单位", "handling department"),
    "level": Label("督办级别", "supervision level"),
    "satisfaction": Label("满意度", "satisfaction"),
    "resolved": Label("是否解决", "resolved"),
    "extra": Label("延长期限", "extension"),
}


def event_label(event: str) -> Label:
    return EVENTS.get(event, Label(event, event))


def value_label(attribute: str, value: object) -> Label:
    text = str(value)
    return VALUES.get(attribute, {}).get(text, Label(text, text))
