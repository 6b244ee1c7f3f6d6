/* Preselect the visitor's time zone in zone pickers the server marks with data-detect-zone
   (only where nobody has chosen a zone yet). Without JavaScript the server's choice stays. */
(function () {
  "use strict";
  // Names some browsers report (CLDR) for zones the picker lists under their current name.
  var renamed = {
    "Asia/Calcutta": "Asia/Kolkata", "Asia/Katmandu": "Asia/Kathmandu",
    "Asia/Saigon": "Asia/Ho_Chi_Minh", "Asia/Rangoon": "Asia/Yangon",
    "Europe/Kiev": "Europe/Kyiv", "America/Godthab": "America/Nuuk",
    "Atlantic/Faeroe": "Atlantic/Faroe", "Pacific/Truk": "Pacific/Chuuk",
    "Pacific/Ponape": "Pacific/Pohnpei", "Pacific/Enderbury": "Pacific/Kanton",
    "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
    "America/Indianapolis": "America/Indiana/Indianapolis",
    "America/Louisville": "America/Kentucky/Louisville",
    "Etc/UTC": "UTC", "Etc/GMT": "UTC"
  };
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone) {
    return;
  }
  zone = renamed[zone] || zone;
  var selects = document.querySelectorAll("select[data-detect-zone]");
  for (var i = 0; i < selects.length; i++) {
    var options = selects[i].options;
    for (var j = 0; j < options.length; j++) {
      if (options[j].value === zone) {
        selects[i].selectedIndex = j;
        break;
      }
    }
  }
})();
