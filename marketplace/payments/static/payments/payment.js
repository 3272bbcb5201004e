// Stripe's Payment Element on our payment page. It never confirms anything by itself: the booking is
// confirmed only by the verified webhook; the return page shows "processing" until then.
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form || typeof Stripe === "undefined") { return; }
  var stripe = Stripe(form.dataset.publishableKey);
  var elements = stripe.elements({ clientSecret: form.dataset.clientSecret, locale: document.documentElement.lang === "en" ? "en" : "zh" });
  var paymentElement = elements.create("payment");
  paymentElement.mount("#payment-element");
  var message = document.getElementById("payment-message");
  var button = document.getElementById("payment-submit");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    stripe.confirmPayment({ elements: elements, confirmParams: { return_url: form.dataset.returnUrl } }).then(function (result) {
      if (result.error) { message.textContent = result.error.message || ""; button.disabled = false; }
    });
  });
})();
