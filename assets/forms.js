/* Keyboard and map behaviour of the intake forms (.intake-form on /hotline and /report).
 * - Ctrl+Enter anywhere in the form submits; on the operator's form (.enter-submits) Enter in the description does
 *   too (Shift+Enter: new line), while a citizen's Enter there is a new line.
 * - Pickers (.combo: the category, the address): ↓ walks into the list, ↑ and Esc come back, Enter in the field
 *   takes the first entry. Picking an address moves the cursor on to the description (data-next).
 * - A click on the locator map sends its lon/lat to the store `<graph id>-click` (Plotly reports clicks on
 *   drawn points only; the whole map must answer).
 * An Enter that confirms a Chinese input method's composition is the IME's, never a submit or a pick.
 */
(function () {
    'use strict';

    function composing(event) {
        return event.isComposing || event.keyCode === 229;
    }

    function formOf(element) {
        return element && element.closest ? element.closest('.intake-form') : null;
    }

    function comboInput(element) {
        return element.tagName === 'INPUT' && element.closest('.combo-input') ? element : null;
    }

    function optionsOf(combo) {
        return Array.from(combo.querySelectorAll('.combo-option'));
    }

    function submit(form) {
        const button = form.querySelector('.intake-submit');
        if (button && !button.disabled) button.click();
    }

    document.addEventListener('keydown', function (event) {
        const target = event.target;
        const form = formOf(target);
        if (!form || composing(event)) return;
        if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
            event.preventDefault();
            submit(form);
        } else if (event.key === 'Enter' && !event.shiftKey && form.classList.contains('enter-submits')
                   && target.classList.contains('intake-description')) {
            event.preventDefault();
            submit(form);
        } else if (event.key === 'Enter' && comboInput(target)) {
            event.preventDefault();
            const first = optionsOf(target.closest('.combo'))[0];
            // Only an entry listed for what is in the field now: the list may still show the last search.
            if (first && first.dataset.query === target.value.trim()) first.click();
        } else if (['ArrowDown', 'ArrowUp', 'Escape'].includes(event.key)) {
            walkOptions(event);
        }
    }, true);

    function walkOptions(event) {
        const combo = event.target.closest('.combo');
        if (!combo) return;
        const input = combo.querySelector('.combo-input input');
        const options = optionsOf(combo);
        const index = options.indexOf(event.target);
        if (event.key === 'Escape') {
            input.focus();
        } else if (event.key === 'ArrowDown' && options.length) {
            options[Math.min(index + 1, options.length - 1)].focus();
        } else if (event.key === 'ArrowUp' && index >= 0) {
            (index === 0 ? input : options[index - 1]).focus();
        } else {
            return;
        }
        event.preventDefault();
    }

    document.addEventListener('click', function (event) {
        const option = event.target.closest && event.target.closest('.combo-option');
        if (!option) return;
        const combo = option.closest('.combo');
        const next = combo.dataset.next && formOf(combo).querySelector(combo.dataset.next);
        setTimeout(function () { (next || combo.querySelector('.combo-input input')).focus(); }, 0);
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
