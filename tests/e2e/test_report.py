"""The citizen's pages in headless Chromium: 民情网 report → tracking number → progress without personal data;
the number box on /track; the rating page, where 不满意 reopens the ticket."""
from __future__ import annotations

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy import text

from harness.browser import console_errors, wait_in_page
from screens import ids
from services.tickets import NewTicket, create_ticket, transition
from tests.e2e.intake_helpers import type_address_and_take_the_first_suggestion
from tests.fresh import new_phone
from workorders.policy import system_principal as sp

FORM = ids.REPORT


def test_a_citizen_reports_and_follows_the_ticket_without_seeing_personal_data(app_url, browser, engine):
    phone, name = new_phone(), "张三丰"
    browser.get(app_url + "/report")
    wait_in_page(lambda: browser.find_element(By.ID, FORM.category_input), what="the report form")
    browser.find_element(By.ID, FORM.category_input).send_keys("路灯")       # a whole name needs no pick
    wait_in_page(lambda: "3 天内办结" in browser.find_element(By.ID, FORM.category_hint).text, what="the category")
    browser.find_element(By.ID, FORM.description).send_keys("小区门口路灯不亮一周了")
    browser.find_element(By.ID, FORM.address).click()
    type_address_and_take_the_first_suggestion(browser, "和平路1号")
    wait_in_page(lambda: "已定位" in browser.find_element(By.ID, FORM.location_text).text, what="the location")
    browser.find_element(By.ID, FORM.name).send_keys(name)
    browser.find_element(By.ID, FORM.phone).send_keys(phone)
    ActionChains(browser).double_click(browser.find_element(By.ID, FORM.submit)).perform()

    number = wait_in_page(lambda: browser.find_element(By.CSS_SELECTOR, ".receipt .ticket-number").text,
                        what="the tracking number")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT number, channel, citizen_name FROM tickets WHERE citizen_phone = :p"),
                            {"p": phone}).all()
    assert [tuple(r) for r in rows] == [(number, "web", name)]          # one ticket for the double click

    browser.find_element(By.CSS_SELECTOR, ".receipt a").click()
    wait_in_page(lambda: "办理过程" in browser.find_element(By.TAG_NAME, "body").text, what="the progress page")
    page = browser.find_element(By.TAG_NAME, "body").text
    assert number in page and "已登记" in page and "登记受理" in page and "民情网" in page
    source = browser.page_source
    for private in (phone, name, "小区门口"):
        assert private not in source
    assert console_errors(browser) == []


def test_the_number_box_finds_a_ticket_and_says_when_there_is_none(app_url, browser, engine):
    request = NewTicket(channel="hotline", category="road_damage", description="路面塌陷", address="站前街2号",
                        citizen_name="李四", citizen_phone=new_phone())
    number = create_ticket(request, sp("测试")).ticket["number"]
    transition(number, "dispatch", sp("调度员"), department="cgj")
    browser.get(app_url + "/track")
    box = wait_in_page(lambda: browser.find_element(By.ID, ids.TRACK_NUMBER), what="the number box")
    box.send_keys(number.replace("-", ""), Keys.ENTER)         # typed without the dash
    wait_in_page(lambda: "已派单" in browser.find_element(By.ID, ids.TRACK_RESULT).text, what="the progress")
    result = browser.find_element(By.ID, ids.TRACK_RESULT).text
    assert "派往 区城市管理综合行政执法局" in result and "李四" not in result and "调度员" not in result
    box.clear()
    box.send_keys("20990101-000001")
    browser.find_element(By.ID, ids.TRACK_SUBMIT).click()
    wait_in_page(lambda: "没有找到工单" in browser.find_element(By.ID, ids.TRACK_RESULT).text, what="the not-found note")
    assert console_errors(browser) == []


def resolved_ticket() -> tuple[str, str]:
    request = NewTicket(channel="web", category="sanitation", description="垃圾没人清", address="和平路2号",
                        citizen_name="王五", citizen_phone=new_phone())
    number = create_ticket(request, sp("测试")).ticket["number"]
    transition(number, "dispatch", sp("调度员"), department="hw")
    transition(number, "accept", sp("环卫"))
    return number, transition(number, "resolve", sp("环卫")).ticket["evaluation_token"]


def test_unsatisfied_reopens_the_ticket_and_the_link_then_says_it_was_rated(app_url, browser, engine):
    number, token = resolved_ticket()
    browser.get(f"{app_url}/evaluate/{token}")
    wait_in_page(lambda: browser.find_element(By.ID, ids.EVALUATE_SUBMIT), what="the rating form")
    assert number in browser.find_element(By.TAG_NAME, "body").text and "王*" in browser.page_source
    browser.find_element(By.ID, ids.EVALUATE_SUBMIT).click()
    assert "请选择" in wait_in_page(lambda: browser.find_element(By.ID, ids.EVALUATE_ERROR).text, what="the choice error")
    browser.find_element(By.CSS_SELECTOR, f"#{ids.EVALUATE_CHOICE} input[value='unsatisfied']").click()
    browser.find_element(By.ID, ids.EVALUATE_COMMENT).send_keys("垃圾还在")
    browser.find_element(By.ID, ids.EVALUATE_SUBMIT).click()
    message = wait_in_page(lambda: browser.find_element(By.ID, ids.EVALUATE_RESULT).text if "重新启动" in
                         browser.find_element(By.ID, ids.EVALUATE_RESULT).text else None, what="the reopen notice")
    assert "已重启" in message and "重新派单" in message
    with engine.connect() as conn:
        state, satisfaction, comment = conn.execute(text(
            "SELECT state, satisfaction, evaluation_comment FROM tickets WHERE number = :n"), {"n": number}).one()
    assert (state, satisfaction, comment) == ("reopened", "unsatisfied", "垃圾还在")

    browser.get(f"{app_url}/evaluate/{token}")
    wait_in_page(lambda: "已评价（不满意）" in browser.find_element(By.TAG_NAME, "body").text,
               what="the already-rated note")
    assert not browser.find_elements(By.ID, ids.EVALUATE_SUBMIT)
    browser.get(f"{app_url}/evaluate/not-a-real-token")
    wait_in_page(lambda: "评价链接无效" in browser.find_element(By.TAG_NAME, "body").text, what="the invalid-link note")
    assert console_errors(browser) == []
