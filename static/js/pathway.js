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
  }

  document.addEventListener("change", function (event) {
    if (event.target.name === "sex") {
      syncPregnancyQuestion(document);
    }
    if (event.target.name === "tumour_status") {
      syncTumourQuestions(document);
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
    syncTumourQuestions(event.detail.elt);
  });
  // A refused form that came back as a whole page (the decision form posts without htmx):
  // its error summary is the first thing to hear.
  document.addEventListener("DOMContentLoaded", function () {
    syncPregnancyQuestion(document);
    syncTumourQuestions(document);
    var errors = document.getElementById("error-summary");
    if (errors) {
      errors.focus();
    }
  });
})();
