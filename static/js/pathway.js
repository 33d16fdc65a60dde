// Small behaviours of the pathway's pages. No inline scripts anywhere, so a strict
// Content-Security-Policy can forbid them.
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

  document.addEventListener("change", function (event) {
    if (event.target.name === "sex") {
      syncPregnancyQuestion(document);
    }
  });

  // After a step is swapped in, move focus where a keyboard or screen-reader user needs
  // it: to the error summary if the step was refused, else to the new heading.
  document.addEventListener("htmx:afterSettle", function () {
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
  });
  // A refused form that came back as a whole page (the decision form posts without htmx):
  // its error summary is the first thing to hear.
  document.addEventListener("DOMContentLoaded", function () {
    syncPregnancyQuestion(document);
    var errors = document.getElementById("error-summary");
    if (errors) {
      errors.focus();
    }
  });
})();
