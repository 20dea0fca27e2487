"""Where the demo world's producers live, and the organizations that serve them.

Every district code is a real one from ``marketplace/gazetteer/districts.csv``; the region
of each farm is read from the gazetteer, so a landscape may span regions (the honey
landscape of the Yucatán peninsula covers three states). Organization names are plausible
but fictional.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Landscape:
    """A producing area: districts, value-chain mix, share of producers, cooperatives."""

    key: str
    name: str
    country: str
    districts: tuple[str, ...]
    chains: tuple[tuple[str, float], ...]
    share: float  # of all producers in the world
    surnames: tuple[str, ...]  # name pools in marketplace.demo.people, repeated to weight
    cooperatives: tuple[str, ...]
    curp_state: str = ""  # Mexico only: usual birth state in the CURP


LANDSCAPES: tuple[Landscape, ...] = (
    # Peru: ~60 % of producers
    Landscape(
        key="huallaga-central",
        name="Huallaga Central (Mariscal Cáceres)",
        country="PE",
        # Juanjuí, Campanilla, Pajarillo, Huicungo
        districts=("220601", "220602", "220605", "220603"),
        chains=(("cacao", 1.0),),
        share=0.14,
        surnames=("pe_amazon", "pe_amazon", "pe_common"),
        cooperatives=(
            "Cooperativa Agraria Cacaotera Río Huayabamba",
            "Cooperativa Agroindustrial Juanjuí Cacao Fino",
            "Asociación de Productores Agropecuarios de Campanilla",
        ),
    ),
    Landscape(
        key="tocache",
        name="Alto Huallaga (Tocache)",
        country="PE",
        # Tocache, Uchiza, Nuevo Progreso, Pólvora
        districts=("221001", "221005", "221002", "221003"),
        chains=(("cacao", 1.0),),
        share=0.1,
        surnames=("pe_amazon", "pe_andes", "pe_common"),
        cooperatives=(
            "Cooperativa Agraria Cacaotera Alto Huallaga",
            "Cooperativa Agroindustrial Uchiza Emprendedora",
            "Asociación de Productores Cacaoteros de Pólvora",
        ),
    ),
    Landscape(
        key="selva-central",
        name="Selva Central (Chanchamayo y Satipo)",
        country="PE",
        # Pichanaqui, Perené, Satipo, Pangoa, Río Negro
        districts=("120303", "120302", "120601", "120606", "120607"),
        chains=(("cafe", 0.65), ("cacao", 0.35)),
        share=0.11,
        surnames=("pe_andes", "pe_andes", "pe_common"),
        cooperatives=(
            "Cooperativa Agraria Cafetalera Valle del Perené",
            "Cooperativa Agraria Cafetalera Río Negro Satipo",
            "Cooperativa Agroindustrial Cacao y Café de Pichanaqui",
        ),
    ),
    Landscape(
        key="la-convencion",
        name="La Convención (Cusco)",
        country="PE",
        # Quellouno, Echarate, Santa Teresa
        districts=("080906", "080902", "080908"),
        chains=(("cafe", 0.6), ("cacao", 0.4)),
        share=0.07,
        surnames=("pe_andes", "pe_andes", "pe_common"),
        cooperatives=(
            "Cooperativa Agraria Cafetalera Valle de Quellouno",
            "Cooperativa Agraria Cacaotera Echarate",
            "Asociación de Cafetaleros de Santa Teresa",
        ),
    ),
    Landscape(
        key="tingo-maria",
        name="Tingo María (Leoncio Prado)",
        country="PE",
        # Rupa-Rupa, José Crespo y Castillo
        districts=("100601", "100604"),
        chains=(("cacao", 1.0),),
        share=0.06,
        surnames=("pe_andes", "pe_amazon", "pe_common"),
        cooperatives=(
            "Cooperativa Agroindustrial Cacaotera Bella Durmiente",
            "Asociación de Productores Cacaoteros de Aucayacu",
        ),
    ),
    Landscape(
        key="padre-abad",
        name="Padre Abad (Ucayali)",
        country="PE",
        # Padre Abad, Irazola, Curimaná, Neshuya
        districts=("250301", "250302", "250303", "250304"),
        chains=(("cacao", 1.0),),
        share=0.05,
        surnames=("pe_amazon", "pe_andes", "pe_common"),
        cooperatives=(
            "Cooperativa Agraria Cacaotera Aguaytía",
            "Asociación de Productores de Cacao de Neshuya y Curimaná",
        ),
    ),
    Landscape(
        key="jaen-san-ignacio",
        name="Jaén y San Ignacio (Cajamarca)",
        country="PE",
        # San Ignacio, Chirinos, Namballe, Tabaconas, Jaén, Huabal
        districts=("060901", "060902", "060905", "060907", "060801", "060805"),
        chains=(("cafe", 1.0),),
        share=0.07,
        surnames=("pe_north", "pe_north", "pe_common"),
        cooperatives=(
            "Cooperativa de Servicios Múltiples Cafés del Chinchipe",
            "Cooperativa Agraria Cafetalera Frontera de San Ignacio",
            "Asociación de Productores Cafetaleros de Jaén",
        ),
    ),
    # Mexico: ~15 %
    Landscape(
        key="sierra-madre-chiapas",
        name="Sierra Madre de Chiapas",
        country="MX",
        # Motozintla, Unión Juárez, Cacahoatán, Siltepec, Angel Albino Corzo
        districts=("07057", "07105", "07015", "07080", "07008"),
        chains=(("cafe", 1.0),),
        share=0.035,
        surnames=("mx_common", "mx_chiapas"),
        cooperatives=(
            "Sociedad Cooperativa Cafetalera Sierra Madre de Motozintla",
            "Unión de Productores de Café del Tacaná",
        ),
        curp_state="CS",
    ),
    Landscape(
        key="soconusco-cacao",
        name="Soconusco y norte de Chiapas (cacao)",
        country="MX",
        # Tapachula, Tuxtla Chico, Huehuetán, Pichucalco, Ostuacán
        districts=("07089", "07102", "07037", "07068", "07062"),
        chains=(("cacao", 1.0),),
        share=0.025,
        surnames=("mx_common", "mx_common", "mx_chiapas"),
        cooperatives=(
            "Sociedad Cooperativa Cacao del Soconusco",
            "Unión de Ejidos Cacaoteros de Pichucalco",
        ),
        curp_state="CS",
    ),
    Landscape(
        key="costa-oaxaca",
        name="Costa de Oaxaca (café)",
        country="MX",
        # Pluma Hidalgo, Candelaria Loxicha, San Pedro Pochutla, Santa María Huatulco
        districts=("20071", "20012", "20324", "20413"),
        chains=(("cafe", 1.0),),
        share=0.025,
        surnames=("mx_common", "mx_common", "mx_oaxaca"),
        cooperatives=(
            "Sociedad Cooperativa Cafetalera Costa de Oaxaca",
            "Unión de Comunidades Cafetaleras de Pluma Hidalgo",
        ),
        curp_state="OC",
    ),
    Landscape(
        key="peninsula-miel",
        name="Península de Yucatán (miel)",
        country="MX",
        # Hopelchén, José María Morelos, Tzucacab, Peto, Tekax, Felipe Carrillo Puerto
        districts=("04006", "23006", "31098", "31058", "31079", "23002"),
        chains=(("miel", 1.0),),
        share=0.04,
        surnames=("mx_maya", "mx_maya", "mx_common"),
        cooperatives=(
            "Sociedad Cooperativa Apícola Los Chenes",
            "Sociedad Cooperativa Apícola Xunan Kab",
            "Unión de Apicultores del Cono Sur de Yucatán",
        ),
        curp_state="YN",
    ),
    Landscape(
        key="candelaria-ganaderia",
        name="Candelaria y Escárcega (ganadería)",
        country="MX",
        # Candelaria, Escárcega, Calakmul
        districts=("04011", "04009", "04010"),
        chains=(("ganaderia", 0.8), ("miel", 0.2)),
        share=0.025,
        surnames=("mx_common", "mx_common", "mx_maya"),
        cooperatives=(
            "Sociedad Cooperativa Ganadera Silvopastoril Río Candelaria",
            "Unión de Ejidos Ganaderos de Escárcega",
        ),
        curp_state="CC",
    ),
    # Colombia: ~25 %
    Landscape(
        key="cauca-cafe",
        name="Cauca cafetero",
        country="CO",
        # Inzá, Piendamó - Tunía, El Tambo, Cajibío, Timbío
        districts=("19355", "19548", "19256", "19130", "19807"),
        chains=(("cafe", 1.0),),
        share=0.07,
        surnames=("co_common", "co_cauca"),
        cooperatives=(
            "Cooperativa de Caficultores del Macizo Caucano",
            "Asociación de Productores de Café de Tierradentro",
            "Cooperativa Cafetera Meseta de Popayán",
        ),
    ),
    Landscape(
        key="narino-cafe",
        name="Norte de Nariño (café)",
        country="CO",
        # La Unión, Buesaco, San Pablo, Arboleda
        districts=("52399", "52110", "52693", "52051"),
        chains=(("cafe", 1.0),),
        share=0.04,
        surnames=("co_common", "co_narino"),
        cooperatives=(
            "Asociación de Cafés Especiales del Norte de Nariño",
            "Cooperativa Cafetera Cañón del Juanambú",
        ),
    ),
    Landscape(
        key="tumaco-cacao",
        name="Pacífico nariñense (cacao)",
        country="CO",
        # San Andrés de Tumaco, Roberto Payán, Barbacoas
        districts=("52835", "52621", "52079"),
        chains=(("cacao", 1.0),),
        share=0.025,
        surnames=("co_pacific", "co_pacific", "co_common"),
        cooperatives=(
            "Red de Cacaoteros del Pacífico Nariñense",
            "Asociación de Cacaoteros del Río Mira",
        ),
    ),
    Landscape(
        key="ariari-macarena",
        name="Ariari y La Macarena (Meta)",
        country="CO",
        # Mesetas, Uribe, Vistahermosa, Puerto Rico, Lejanías
        districts=("50330", "50370", "50711", "50590", "50400"),
        chains=(("cacao", 0.6), ("ganaderia", 0.4)),
        share=0.05,
        surnames=("co_common",),
        cooperatives=(
            "Asociación de Cacaoteros del Ariari",
            "Cooperativa Agropecuaria Sierra de La Macarena",
        ),
    ),
    Landscape(
        key="guaviare",
        name="Guaviare",
        country="CO",
        # San José del Guaviare, El Retorno
        districts=("95001", "95025"),
        chains=(("cacao", 0.55), ("ganaderia", 0.45)),
        share=0.03,
        surnames=("co_common",),
        cooperatives=(
            "Cooperativa Agropecuaria del Guaviare",
            "Asociación de Productores de Cacao de El Retorno",
        ),
    ),
    Landscape(
        key="bajo-putumayo",
        name="Bajo Putumayo (cacao)",
        country="CO",
        # Puerto Asís, Puerto Caicedo, Orito, Valle del Guamuez
        districts=("86568", "86569", "86320", "86865"),
        chains=(("cacao", 1.0),),
        share=0.035,
        surnames=("co_common", "co_common", "co_narino"),
        cooperatives=(
            "Asociación de Cacaoteros del Bajo Putumayo",
            "Cooperativa Amazónica de Puerto Asís",
        ),
    ),
)


@dataclass(frozen=True)
class OrgSpec:
    """A non-cooperative organization of the demo world."""

    key: str  # short slug: e-mail domain of its members
    name: str
    kind: str
    country: str
    status: str = "verified"  # verified | pending | suspended


ORGANIZATIONS: tuple[OrgSpec, ...] = (
    # Peru. The first of each kind holds the demo account of that role.
    OrgSpec("elhuallaga", "Agroveterinaria El Huallaga E.I.R.L.", "supplier", "PE"),
    OrgSpec("chocoandino", "Chocolates Andinos Exportadora S.A.C.", "buyer", "PE"),
    OrgSpec("selvaalta", "Caja Municipal de Ahorro y Crédito Selva Alta", "lender", "PE"),
    OrgSpec("agroselva", "Agroservicios Selva Central S.A.C.", "supplier", "PE"),
    OrgSpec("agrooriente", "Agroquímicos del Oriente S.R.L.", "supplier", "PE", "suspended"),
    OrgSpec("agroforestal", "Consultora Agroforestal Amazónica S.A.C.", "ta_provider", "PE"),
    OrgSpec("cacaofino", "Servicios Técnicos Cacao Fino del Perú", "ta_provider", "PE"),
    OrgSpec("cafeselva", "Cafés Especiales de Selva Central S.A.C.", "buyer", "PE"),
    OrgSpec("amazonia", "Caja Rural de Ahorro y Crédito Amazonía Productiva", "lender", "PE"),
    OrgSpec("coopactocache", "Cooperativa de Ahorro y Crédito Tocache Emprendedor", "lender", "PE"),
    OrgSpec("emprenderural", "Financiera Rural Emprende Perú S.A.", "lender", "PE"),
    # Mexico
    OrgSpec("agrosoconusco", "Agroinsumos del Soconusco S.A. de C.V.", "supplier", "MX"),
    OrgSpec("forrajeschenes", "Forrajes y Veterinaria Los Chenes", "supplier", "MX"),
    OrgSpec("apicolapen", "Servicios Técnicos Apícolas Peninsulares A.C.", "ta_provider", "MX"),
    OrgSpec("chocomeso", "Chocolatería Mesoamericana S.A. de C.V.", "buyer", "MX"),
    OrgSpec("mielespen", "Mieles de la Península Exportadora S.A. de C.V.", "buyer", "MX"),
    OrgSpec("tostadoresoax", "Tostadores de Café Oaxaqueño S.A. de C.V.", "buyer", "MX", "pending"),
    OrgSpec(
        "cajasierrasur", "Caja Popular Sierra Sur S.C. de A.P. de R.L. de C.V.", "lender", "MX"
    ),
    OrgSpec("mayakaab", "Sociedad Financiera Comunitaria Maya Kaab", "lender", "MX"),
    OrgSpec(
        "cajacostachica",
        "Caja Solidaria Costa Chica S.C. de A.P. de R.L. de C.V.",
        "lender",
        "MX",
    ),
    OrgSpec("sofiposureste", "Microfinanciera Cafetalera del Sureste, SOFIPO", "lender", "MX"),
    # Colombia
    OrgSpec("elcaficultor", "Almacén Agropecuario El Caficultor S.A.S.", "supplier", "CO"),
    OrgSpec("agroariari", "Agroinsumos del Ariari S.A.S.", "supplier", "CO"),
    OrgSpec("agroforsur", "Corporación Técnica Agroforestal del Sur", "ta_provider", "CO"),
    OrgSpec("cacaopaz", "Fundación Cacao y Paz del Guaviare", "ta_provider", "CO", "pending"),
    OrgSpec("cacaorigen", "Cacao de Origen Colombia S.A.S.", "buyer", "CO"),
    OrgSpec("cafemacizo", "Tostadora Café del Macizo S.A.S.", "buyer", "CO"),
    OrgSpec("coopmacizo", "Cooperativa de Ahorro y Crédito del Macizo", "lender", "CO"),
    OrgSpec("micropacifico", "Corporación Microfinanciera Rural del Pacífico", "lender", "CO"),
    OrgSpec(
        "coopariari", "Cooperativa de Ahorro y Crédito Agropecuaria del Ariari", "lender", "CO"
    ),
    OrgSpec("fundamazonia", "Fundación Microfinanciera del Sur Amazónico", "lender", "CO"),
)

#: Certification sets a certified cooperative may hold, by value chain.
COOP_CERTIFICATIONS: dict[str, tuple[tuple[str, ...], ...]] = {
    "cacao": (("organic", "fairtrade"), ("organic",), ("fairtrade", "spp"), ("rainforest",)),
    "cafe": (
        ("organic", "fairtrade"),
        ("rainforest",),
        ("4c",),
        ("organic", "bird_friendly"),
        ("fairtrade", "spp"),
    ),
    "miel": (("organic",), ("organic", "fairtrade")),
    "ganaderia": ((),),
}
