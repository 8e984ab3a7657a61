// The hotline desk: digits read over the phone are checked as they are typed (the Damm check
// digit of SPEC.md 12.2), so a misheard digit is caught before anything is sent or recorded.
// The words come from the page (data attributes), in the operator's language.
"use strict";

const DAMM = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

function dammOk(digits) {
  let interim = 0;
  for (const char of digits) interim = DAMM[interim][char.charCodeAt(0) - 48];
  return interim === 0;
}

for (const input of document.querySelectorAll("input[data-digits]")) {
  const hint = document.getElementById(input.id + "-hint");
  const length = Number(input.dataset.digits);
  input.addEventListener("input", () => {
    const digits = input.value.replace(/[\s-]/g, "");
    let problem = "";
    if (/\D/.test(digits)) problem = input.dataset.notDigits;
    else if (digits.length > length) problem = input.dataset.tooLong;
    else if (digits.length === length && !dammOk(digits)) problem = input.dataset.misheard;
    hint.textContent = problem;
    input.setCustomValidity(problem);
  });
}
