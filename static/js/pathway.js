// Small behaviours of the pathway's pages, and of every page (the menu button, the idle
// warning, a message when a request fails: below). No inline scripts anywhere, so a strict
// Content-Security-Policy can forbid them; one file, so a first load stays within its
// request budget.
(function () {
  "use strict";

  // The pregnancy question matters only for a female patient: show it when female is
  // chosen. Without JavaScript it simply stays visible.
  function syncPregnancyQuestion(root) {
    root.querySelectorAll("[data-pregnancy]").forEach(function (block) {
      var form = block.closest("form");
      var female = form && form.querySelector("input[name=sex][value=female]");
      block.hidden = !(female && female.checked);
      // A hidden answer is not sent: switching to male must not leave "pregnant: yes".
      block.querySelectorAll("input").forEach(function (input) {
        input.disabled = block.hidden;
      });
    });
  }

  // The print page's Print button: shown only when this script runs, since without it
  // the button could do nothing (Ctrl+P still works).
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
    });
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) {
      window.print();
    }
  });

  function showOnly(block, shown) {
    block.hidden = !shown;
    // As with pregnancy: what is hidden is not sent.
    block.querySelectorAll("input").forEach(function (input) {
      input.disabled = !shown;
    });
  }

  // The DELTA-P items matter while a tumour may still be found (screened with none found,
  // or not screened yet); the date of the last negative screen only after a screen. The
  // server renders them shown unless the saved status rules them out; this follows the
  // radio at once.
  function syncTumourQuestions(root) {
    root.querySelectorAll("[data-tumour-risk]").forEach(function (block) {
      var form = block.closest("form");
      var checked = form && form.querySelector("input[name=tumour_status]:checked");
      var status = checked ? checked.value : "";
      showOnly(block, status === "not_found" || status === "not_screened");
      block.querySelectorAll("[data-screen-date]").forEach(function (dateBlock) {
        showOnly(dateBlock, status === "not_found");
      });
    });
    // Whether the negative screen included FDG-PET: asked only after a negative screen.
    root.querySelectorAll("[data-screen-pet]").forEach(function (block) {
      var form = block.closest("form");
      var checked = form && form.querySelector("input[name=tumour_status]:checked");
      showOnly(block, Boolean(checked) && checked.value === "not_found");
    });
  }

  // The IVIG course is recorded only with a decision of followed or partly followed:
  // show its fields then. Without JavaScript they stay visible and the server ignores
  // them with another decision.
  function syncIvigCourse(root) {
    root.querySelectorAll("[data-ivig-course]").forEach(function (block) {
      var form = block.closest("form");
      var chosen = form && form.querySelector("input[name=decision]:checked");
      var recorded = chosen && (chosen.value === "followed" || chosen.value === "partly");
      showOnly(block, Boolean(recorded));
    });
  }

  // The next IVIG course on a review is taken only with the plan "repeat the course": show
  // its fields then. Without JavaScript they stay visible and the server ignores them with
  // another plan.
  function syncNextCourse(root) {
    root.querySelectorAll("[data-next-course]").forEach(function (block) {
      var form = block.closest("form");
      var chosen = form && form.querySelector("input[name=plan]:checked");
      showOnly(block, Boolean(chosen && chosen.value === "repeat_course"));
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.name === "sex") {
      syncPregnancyQuestion(document);
    }
    if (event.target.name === "tumour_status") {
      syncTumourQuestions(document);
    }
    if (event.target.name === "decision") {
      syncIvigCourse(document);
    }
    if (event.target.name === "plan") {
      syncNextCourse(document);
    }
  });

  // After a step is swapped in, move focus where a keyboard or screen-reader user needs
  // it: to the error summary if the step was refused, else to the new heading. Only a swap
  // of the page's main content: a fragment updated in place (the IVIG order as the course
  // is typed) leaves the focus where the clinician is typing.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!event.detail.target || event.detail.target.id !== "main") {
      return;
    }
    var target = document.getElementById("error-summary") || document.querySelector("#main h1");
    if (target) {
      if (!target.hasAttribute("tabindex")) {
        target.setAttribute("tabindex", "-1");
      }
      target.focus();
    }
  });

  document.addEventListener("htmx:load", function (event) {
    syncPregnancyQuestion(event.detail.elt);
    syncTumourQuestions(event.detail.elt);
    syncIvigCourse(event.detail.elt);
    syncNextCourse(event.detail.elt);
  });
  // A refused form that came back as a whole page (the decision form posts without htmx):
  // its error summary is the first thing to hear.
  document.addEventListener("DOMContentLoaded", function () {
    syncPregnancyQuestion(document);
    syncTumourQuestions(document);
    syncIvigCourse(document);
    syncNextCourse(document);
    var errors = document.getElementById("error-summary");
    if (errors) {
      errors.focus();
    }
  });
})();

// Every page: the navigation's menu button at small widths, the warning before the idle
// timeout, and a message in place when an htmx request fails.
(function () {
  "use strict";

  // Bootstrap's navbar toggler, without Bootstrap's JavaScript bundle: the menu opens and
  // closes, and says so to screen readers.
  document.addEventListener("click", function (event) {
    var toggler = event.target.closest("[data-bs-toggle=collapse]");
    if (!toggler) {
      return;
    }
    var target = document.querySelector(toggler.getAttribute("data-bs-target"));
    if (target) {
      var open = target.classList.toggle("show");
      toggler.setAttribute("aria-expanded", open ? "true" : "false");
    }
  });

  // The idle timeout. The server renews the session at most once a minute (a quarter of a
  // short timeout: `data-idle-renew-seconds`), so the session may end that much before
  // `idleSeconds` after the last request: the end is counted from there. The warning comes
  // 3 minutes before that end, or half-way to it for a short timeout: a 1-minute timeout
  // warns after about 23 seconds and ends after 45, never one second after the page loads.
  var MAX_WARNING_SECONDS = 180;
  var warnTimer = null;
  var endTimer = null;

  function idleWarning() {
    return document.getElementById("idle-warning");
  }

  function startIdleClock() {
    var warning = idleWarning();
    var idleSeconds = parseInt(document.body.getAttribute("data-idle-seconds"), 10);
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    if (!warning || !idleSeconds) {
      return;
    }
    warning.hidden = true;
    var renewSeconds = parseInt(document.body.getAttribute("data-idle-renew-seconds"), 10) || 60;
    var endsAfter = Math.max(idleSeconds - renewSeconds, 1);
    var warnBefore = Math.min(MAX_WARNING_SECONDS, Math.floor(endsAfter / 2));
    warnTimer = setTimeout(function () {
      warning.querySelector("[data-idle-message]").textContent =
        "Nothing has been sent for a while: you will be signed out in " +
        (warnBefore < 60 ? "less than a minute" :
          "about " + Math.round(warnBefore / 60) + " minute" + (warnBefore > 90 ? "s" : "")) +
        ". Choose \u201cStay signed in\u201d to keep working.";
      warning.querySelector("[data-idle-stay]").hidden = false;
      warning.hidden = false;
    }, (endsAfter - warnBefore) * 1000);
    endTimer = setTimeout(function () {
      warning.querySelector("[data-idle-message]").textContent =
        "Your session has probably ended. Nothing typed on this page is lost: when you " +
        "save, you will be asked to sign in again and your answers are kept.";
      warning.querySelector("[data-idle-stay]").hidden = true;
      warning.hidden = false;
    }, endsAfter * 1000);
  }

  // A failed htmx request: htmx 2 swaps nothing on a dropped connection or an error
  // status, so what was typed is still on the page; say what happened beside it and offer
  // to send it again.
  function describeFailure(event) {
    if (event.type === "htmx:sendError") {
      return "The server could not be reached, so nothing was saved. Check the network " +
        "connection; nothing you typed is lost.";
    }
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status >= 500) {
      return "The server had a problem (error " + status + ") and this was not saved. " +
        "Nothing you typed is lost: try again, and tell IT if it keeps happening.";
    }
    if (status === 404) {
      return "This was not saved: this encounter is no longer there (it may have been " +
        "discarded in another tab or window), so sending it again cannot work. What you " +
        "typed is still on this page: note what you need, then start a new encounter.";
    }
    if (status === 403) {
      return "This was refused (error 403): the page may be out of date. Reload the page " +
        "and try again.";
    }
    return "This was not saved (error " + status + "). Nothing you typed is lost.";
  }

  function showFailure(event) {
    var source = event.detail.elt;
    if (!source || !source.isConnected) {
      return;
    }
    var form = source.closest("form") || source;
    var anchor = form.parentNode;
    var notice = anchor.querySelector(":scope > .request-failed");
    if (!notice) {
      notice = document.createElement("div");
      notice.className = "alert alert-danger request-failed";
      notice.setAttribute("role", "alert");
      notice.setAttribute("tabindex", "-1");
      var message = document.createElement("p");
      message.className = "mb-2";
      var retry = document.createElement("button");
      retry.type = "button";
      retry.className = "btn btn-sm btn-outline-danger";
      retry.textContent = "Try again";
      retry.addEventListener("click", function () {
        notice.remove();
        if (form.tagName === "FORM") {
          form.requestSubmit();
        } else {
          form.click();
        }
      });
      // A 404 (the encounter discarded meanwhile) can never succeed on a retry: the way on
      // is the list of encounters, where a new one starts.
      var elsewhere = document.createElement("a");
      elsewhere.className = "btn btn-sm btn-outline-danger";
      elsewhere.href = "/encounters/";
      elsewhere.textContent = "Go to my encounters";
      notice.appendChild(message);
      notice.appendChild(retry);
      notice.appendChild(elsewhere);
      anchor.insertBefore(notice, form);
    }
    var gone = event.type === "htmx:responseError" && event.detail.xhr &&
      event.detail.xhr.status === 404;
    notice.querySelector("button").hidden = gone;
    notice.querySelector("a").hidden = !gone;
    notice.querySelector("p").textContent = describeFailure(event);
    notice.focus();
  }

  document.addEventListener("htmx:sendError", showFailure);
  document.addEventListener("htmx:responseError", showFailure);
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) {
      // Any answer from the server renews the session: restart the clock.
      startIdleClock();
      var form = event.detail.elt && event.detail.elt.closest("form");
      var notice = form && form.parentNode && form.parentNode.querySelector(":scope > .request-failed");
      if (notice) {
        notice.remove();
      }
    }
  });
  document.addEventListener("DOMContentLoaded", startIdleClock);
})();
