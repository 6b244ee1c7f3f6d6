"""French versions of the 2021 edition's demo summaries (body and key takeaways), in module
order; like the English ones, demo texts based on the public reports of the webinars."""

from __future__ import annotations

from dataclasses import dataclass

DEMO_NOTE_FR = (
    "*Résumé de démonstration rédigé pour la démonstration de cette application, d'après le "
    "rapport public du webinaire.*\n\n"
)


@dataclass(frozen=True)
class HeldModuleFr:
    body: str
    takeaways: tuple[str, ...]


HELD_FR: tuple[HeldModuleFr, ...] = (
    HeldModuleFr(
        body=DEMO_NOTE_FR + (
            "Plus d'une centaine de délégués et d'intervenants se sont réunis en ligne pour le "
            "premier module de la série, consacré à la prévention de la traite aux fins "
            "d'exploitation par le travail. Un exposé liminaire d'un expert de "
            "l'**Organisation internationale du Travail (OIT)** a planté le décor : frais de "
            "recrutement, tromperie sur l'emploi et confiscation des documents font de la "
            "migration de travail une exploitation tout au long de la route.\n\n"
            "Trois tables rondes ont suivi. La première portait sur la **coopération "
            "régionale** entre autorités du travail, avec des accords bilatéraux présentés par "
            "un ministère du travail et l'action de l'**Autorité européenne du travail**. La "
            "deuxième portait sur la **formation avant le départ et la sensibilisation**, la "
            "troisième sur le **recrutement éthique**."
        ),
        takeaways=(
            "La prévention de l'exploitation par le travail commence avant le départ : "
            "information, formation et voies légales.",
            "Les autorités du travail des pays d'origine et de destination doivent coopérer "
            "aussi étroitement que les polices.",
            "Un recrutement éthique, sans frais pour les travailleurs, supprime la dette qui "
            "enferme les personnes dans l'exploitation.",
            "Les campagnes de sensibilisation touchent mieux les gens là où ils sont, y compris "
            "dans les transports publics et en ligne.",
        ),
    ),
    HeldModuleFr(
        body=DEMO_NOTE_FR + (
            "Plus de 140 participants ont suivi le deuxième module, consacré à la protection "
            "et à l'assistance des victimes de la traite. Des intervenants régionaux et "
            "nationaux ont présenté les **réponses structurelles et politiques** - mécanismes "
            "nationaux d'orientation, procédures opérationnelles normalisées et cadres "
            "régionaux - et le **soutien direct** aux victimes : hébergement, soins, aide "
            "juridique et réinsertion.\n\n"
            "Les intervenants ont décrit comment les services se sont adaptés lorsque la "
            "pandémie de COVID-19 a fermé les foyers et les frontières, et quelles adaptations "
            "méritent d'être conservées."
        ),
        takeaways=(
            "Un mécanisme national d'orientation précise qui identifie les victimes et qui "
            "les assiste.",
            "L'assistance doit être volontaire, sûre et adaptée à chaque personne, y compris "
            "aux enfants.",
            "Le conseil et le suivi à distance ont permis de soutenir les victimes pendant la "
            "pandémie et peuvent compléter l'aide en personne.",
        ),
    ),
    HeldModuleFr(
        body=DEMO_NOTE_FR + (
            "Le troisième module a réuni plus d'une centaine de délégués autour de la "
            "coopération internationale dans la poursuite des trafiquants. Un exposé "
            "liminaire de l'**Office des Nations unies contre la drogue et le crime (ONUDC)** "
            "a présenté l'état des enquêtes et des poursuites en Afrique de l'Est.\n\n"
            "La première session portait sur les **enquêtes conjointes régionales et "
            "internationales**, avec le **Centre opérationnel régional d'appui au Processus "
            "de Khartoum (ROCK)**. La seconde portait sur la **coopération judiciaire**, avec "
            "une initiative de magistrats de liaison qui raccourcit l'entraide judiciaire "
            "entre pays."
        ),
        takeaways=(
            "Les réseaux franchissent les frontières, les enquêtes doivent donc le faire "
            "aussi : le renseignement partagé suit une affaire du recrutement à "
            "l'exploitation.",
            "Des magistrats de liaison qui connaissent les deux systèmes juridiques font du "
            "renseignement une preuve recevable par un tribunal.",
            "Les enquêtes financières et la saisie des avoirs frappent le modèle économique "
            "des trafiquants.",
        ),
    ),
    HeldModuleFr(
        body=DEMO_NOTE_FR + (
            "Le dernier module portait sur les partenariats, le quatrième P, sous la conduite "
            "de la présidence du Processus, les Pays-Bas. Les intervenants ont présenté des "
            "**partenariats avec les secteurs financier et technologique** - détection des "
            "paiements suspects et du recrutement en ligne - et des **partenariats "
            "institutionnels**, comme un **système d'alerte rapide** expérimenté conjointement "
            "par l'OIM, l'ONUDC et le HCR pour agir vite sur les informations concernant des "
            "victimes."
        ),
        takeaways=(
            "Les banques et les entreprises technologiques voient des traces de la traite que "
            "les autorités ne voient pas ; les partenariats rendent ce savoir utilisable.",
            "Les partenaires institutionnels agissent plus vite ensemble : un système d'alerte "
            "partagé transforme l'information sur les victimes en protection.",
            "Le partenariat est la pierre angulaire du Processus de Khartoum et traverse les "
            "trois autres P.",
        ),
    ),
)
