"""Driving the intake forms from a browser test: type with the keyboard, read the form's errors and focus."""
from __future__ import annotations

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from harness.browser import wait_in_page
from screens import ids

HOTLINE = ids.HOTLINE


def keys(driver, *sequence) -> None:
    """Type into whatever has the focus, as a person at the keyboard would."""
    ActionChains(driver).send_keys(*sequence).perform()


def ctrl_enter(driver) -> None:
    ActionChains(driver).key_down(Keys.CONTROL).send_keys(Keys.ENTER).key_up(Keys.CONTROL).perform()


def focused_id(driver) -> str:
    return driver.execute_script("return document.activeElement.id || ''")


def error_text(driver, error_type: str, field: str) -> str:
    return driver.execute_script(
        "const el = document.getElementById(JSON.stringify({field: arguments[1], type: arguments[0]}));"
        "return el ? el.textContent : null;", error_type, field)


def type_and_take_the_first_entry(driver, typed: str) -> None:
    """Focus is on a picker (category, address): type, wait for the list made for exactly what was typed, Enter
    takes its first entry."""
    keys(driver, typed)
    wait_in_page(lambda: driver.execute_script(
        "const combo = document.activeElement.closest('.combo');"
        "const first = combo && combo.querySelector('.combo-option');"
        "return first && first.dataset.query === arguments[0];", typed), what=f"the list for {typed}")
    keys(driver, Keys.ENTER)


def pick_category_by_typing(driver, input_id: str, typed: str) -> str:
    """Focus is on the category field: type part of the name or code, Enter takes the first match; returns the
    name now shown in the field."""
    type_and_take_the_first_entry(driver, typed)
    return wait_in_page(lambda: driver.find_element(By.ID, input_id).get_attribute("value") != typed
                      and driver.find_element(By.ID, input_id).get_attribute("value"), what="the category")


def type_address_and_take_the_first_suggestion(driver, typed: str) -> None:
    """Focus is on the address: type, wait for suggestions of exactly what was typed, Enter takes the first."""
    type_and_take_the_first_entry(driver, typed)


# ------------------------------------------------------------------------------------------------ /hotline

def open_desk(browser, app_url: str, query: str = "") -> None:
    browser.get(f"{app_url}/hotline{query}")
    wait_in_page(lambda: focused_id(browser) == HOTLINE.phone, what="the phone field to have the focus")


def registered_number(browser) -> str:
    return wait_in_page(lambda: browser.find_element(By.CSS_SELECTOR, f"#{HOTLINE.result} .ticket-number").text,
                        what="the new ticket number")


def fill_quickly(browser, phone: str, address: str, description: str, category: str = "streetl") -> None:
    """The call's phone, a category picked by typing part of it, an address from the suggestions, the content."""
    keys(browser, phone, Keys.TAB, Keys.TAB)
    pick_category_by_typing(browser, HOTLINE.category_input, category)
    keys(browser, Keys.TAB)
    type_address_and_take_the_first_suggestion(browser, address)
    wait_in_page(lambda: focused_id(browser) == HOTLINE.description, what="the address to be picked")
    keys(browser, description)
