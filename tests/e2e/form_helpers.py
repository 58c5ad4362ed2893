"""Filling a programme page's form in Chromium: a control found by its Chinese header (a pattern id's JSON holds
the header), a dropdown opened and one of its options picked."""
from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from harness.browser import wait_for_js


def field(form_id: str, header: str) -> str:
    """The XPath of the control of ``form_id`` whose pattern id names ``header``."""
    return f"//*[@id='{form_id}']//*[contains(@id, '\"{header}\"')]"


def choose(driver, control_xpath: str, value: str | None = None) -> str:
    """Open the dropdown at ``control_xpath``, pick the option showing (or holding) ``value`` — the first one for
    None — close it, and return the picked option's text."""
    control = driver.find_element(By.XPATH, control_xpath)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", control)
    control.click()
    option = "//*[@role='option']" + (f"[normalize-space()='{value}' or .//input[@value='{value}']]" if value else "")
    wait_for_js(driver, "return document.evaluate(arguments[0], document, null, 9, null).singleNodeValue;",
                option, what=f"the options of {control_xpath}")
    picked = driver.find_element(By.XPATH, option)
    label = picked.text.strip()
    picked.click()
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    return label


def upload(driver, upload_id: str, path) -> None:
    """Hand the file at ``path`` to the dcc.Upload ``upload_id`` (cleared first, so the same input takes a second
    file)."""
    picker = wait_for_js(driver, f"return document.querySelector('#{upload_id} input[type=file]');",
                         what=f"the upload {upload_id}")
    driver.execute_script("arguments[0].value = '';", picker)
    picker.send_keys(str(path))


def message_of(driver, element_id: str, contains: str, what: str) -> str:
    """The text of ``element_id`` once it holds ``contains`` (read whether or not it is scrolled into view)."""
    return wait_for_js(driver, "const e = document.getElementById(arguments[0]); "
                               "return e && e.textContent.includes(arguments[1]) ? e.textContent : false;",
                       element_id, contains, what=what)
