/* Keyboard and map behaviour of the intake forms (.intake-form on /hotline and /report).
 * - Ctrl+Enter anywhere in the form submits; on the operator's form (.enter-submits) Enter in the description does
 *   too (Shift+Enter: new line), while a citizen's Enter there is a new line.
 * - In the address field, ArrowDown walks into the suggestions and Enter picks the first one; picking one moves
 *   the cursor on to the description.
 * - A click on the locator map sends its lon/lat to the store `<graph id>-click` (Plotly reports clicks on
 *   drawn points only; the whole map must answer).
 * An Enter that confirms a Chinese input method's composition is the IME's, never a submit.
 */
(function () {
    'use strict';

    function composing(event) {
        return event.isComposing || event.keyCode === 229;
    }

    function formOf(element) {
        return element && element.closest ? element.closest('.intake-form') : null;
    }

    function submitButton(form) {
        return form.querySelector('.intake-submit');
    }

    function suggestionsOf(input) {
        const box = input.closest('.address-box');
        return box ? Array.from(box.querySelectorAll('.suggestion')) : [];
    }

    function isAddress(element) {
        return element.tagName === 'INPUT' && !!element.closest('.intake-address');
    }

    function focusDescription(form) {
        const description = form && form.querySelector('.intake-description');
        if (description) description.focus();
    }

    document.addEventListener('keydown', function (event) {
        const target = event.target;
        const form = formOf(target);
        if (!form || event.key !== 'Enter' || composing(event)) {
            return navigateSuggestions(event, form);
        }
        const submit = submitButton(form);
        if ((event.ctrlKey || event.metaKey) && submit) {
            event.preventDefault();
            if (!submit.disabled) submit.click();
            return;
        }
        if (target.classList.contains('intake-description') && form.classList.contains('enter-submits')
                && !event.shiftKey && submit) {
            event.preventDefault();
            if (!submit.disabled) submit.click();
            return;
        }
        if (isAddress(target)) {
            event.preventDefault();
            const first = suggestionsOf(target)[0];
            // Only a suggestion for what is in the field now: the list may still show the last search.
            if (first && first.dataset.query === target.value.trim()) first.click();
        }
    }, true);

    function navigateSuggestions(event, form) {
        if (!form || !['ArrowDown', 'ArrowUp', 'Escape'].includes(event.key)) return;
        const target = event.target;
        const input = isAddress(target) ? target
            : target.classList.contains('suggestion') ? target.closest('.address-box').querySelector('input')
            : null;
        if (!input) return;
        const items = suggestionsOf(input);
        const index = items.indexOf(target);
        event.preventDefault();
        if (event.key === 'Escape') {
            input.focus();
        } else if (event.key === 'ArrowDown' && items.length) {
            items[Math.min(index + 1, items.length - 1)].focus();
        } else if (event.key === 'ArrowUp') {
            if (index <= 0) input.focus(); else items[index - 1].focus();
        }
    }

    // Typing on a closed Dash dropdown: Dash reads each character on keyup and then moves the focus to its search
    // box; a character whose keyup lands after that move is lost ("greening" → "geening"). Hand Dash the keyup
    // at keydown, while the dropdown still has the focus, and drop the real one.
    const handedOver = new Set();
    document.addEventListener('keydown', function (event) {
        const target = event.target;
        if (!(target.matches && target.matches('.intake-form button.dash-dropdown')) || event.key.length !== 1
            || event.ctrlKey || event.metaKey || event.altKey || composing(event)) return;
        handedOver.add(event.code || event.key);
        target.dispatchEvent(new KeyboardEvent('keyup', {key: event.key, bubbles: true}));
    }, true);
    document.addEventListener('keyup', function (event) {
        const key = event.code || event.key;
        if (event.isTrusted && handedOver.has(key)) {
            handedOver.delete(key);
            event.stopPropagation();
        }
    }, true);

    document.addEventListener('click', function (event) {
        const suggestion = event.target.closest && event.target.closest('.suggestion');
        if (suggestion) setTimeout(function () { focusDescription(formOf(suggestion)); }, 0);
    });

    function attachMapClicks() {
        document.querySelectorAll('.locator').forEach(function (graph) {
            const plot = graph.querySelector('.js-plotly-plot');
            const subplot = plot && plot._fullLayout && plot._fullLayout.map && plot._fullLayout.map._subplot;
            const map = subplot && subplot.map;
            if (!map || map.__intakeClicks || !window.dash_clientside || !window.dash_clientside.set_props) return;
            map.__intakeClicks = true;
            map.getCanvas().style.cursor = 'crosshair';
            map.on('click', function (e) {
                window.dash_clientside.set_props(graph.id + '-click',
                    {data: {lon: e.lngLat.lng, lat: e.lngLat.lat, at: Date.now()}});
            });
        });
    }
    setInterval(attachMapClicks, 500);
})();
