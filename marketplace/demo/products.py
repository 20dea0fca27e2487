"""What the demo suppliers and technical-assistance providers sell: product and service
templates by category, with believable Spanish names, units and price ranges in soles.

A title may hold ``{}``, filled with one of the template's variants (a clone, a brand, a
size). Prices are drawn in soles (PEN) and converted with round demo exchange rates.
"""

from __future__ import annotations

from typing import NamedTuple


class Product(NamedTuple):
    """A kind of listing a demo organization may publish."""

    category: str
    title: str
    unit: str
    low: float  # price range in soles
    high: float
    chains: tuple[str, ...]
    description: str
    variants: tuple[str, ...] = ("",)
    countries: tuple[str, ...] = ("PE", "MX", "CO")


def _p(category, title, unit, low, high, chains, description, variants=("",), countries=None):
    return Product(
        category,
        title,
        unit,
        low,
        high,
        tuple(chains.split()),
        description,
        tuple(variants),
        tuple(countries.split()) if countries else ("PE", "MX", "CO"),
    )


CLONES = ("CCN-51", "ICS-95", "ICS-39", "TSH-565", "ICT-1292", "CCN-51 e ICS-95")
COFFEE = ("Catimor", "Castillo", "Caturra", "Geisha", "Marsellesa", "Típica", "Costa Rica 95")
TREES = ("bolaina", "capirona", "cedro", "caoba", "guaba", "shaina", "laurel", "tornillo")
PASTURES = ("Brachiaria brizantha", "Mombasa", "Toledo", "Humidícola", "Cuba OM-22")

# fmt: off
PRODUCTS: tuple[Product, ...] = (
    # --- inputs -------------------------------------------------------------------------
    _p("fertilizantes", "Guano de isla 50 kg", "saco_50kg", 85, 120, "cacao cafe",
       "Abono natural rico en nitrógeno y fósforo, de las islas del litoral peruano.",
       countries="PE"),
    _p("fertilizantes", "Urea agrícola 46 % N", "saco_50kg", 120, 170, "cacao cafe ganaderia",
       "Fuente de nitrógeno para el crecimiento vegetativo y la renovación de pastos."),
    _p("fertilizantes", "Fosfato diamónico (DAP) 18-46-0", "saco_50kg", 150, 210, "cacao cafe",
       "Fósforo y nitrógeno para la floración y el desarrollo de raíces."),
    _p("fertilizantes", "Sulfato de potasio granulado", "saco_50kg", 140, 200, "cacao cafe",
       "Potasio y azufre para el llenado de mazorcas y granos."),
    _p("fertilizantes", "Fertilizante foliar con {}", "litro", 25, 60, "cacao cafe",
       "Corrige deficiencias de micronutrientes; aplicar con mochila fumigadora.",
       ("zinc y boro", "calcio y boro", "magnesio", "micronutrientes quelatados")),
    _p("fertilizantes", "Roca fosfórica de Bayóvar", "saco_50kg", 45, 70, "cacao cafe",
       "Fósforo de liberación lenta, apto para agricultura orgánica.", countries="PE"),
    _p("fertilizantes", "Fórmula completa {} para cacao", "saco_50kg", 130, 190, "cacao",
       "Mezcla balanceada para plantaciones en producción.", ("15-15-15", "20-10-20", "12-24-12")),
    _p("fertilizantes", "Fórmula cafetera {}", "saco_50kg", 130, 190, "cafe",
       "Mezcla para cafetales en producción, aplicar después de la floración.",
       ("17-6-18-2", "25-4-24", "18-5-15-6-2")),
    _p("fertilizantes", "Cal agrícola dolomita", "saco_50kg", 18, 30, "cacao cafe ganaderia",
       "Corrige la acidez del suelo y aporta calcio y magnesio."),
    _p("abonos_organicos", "Fertilizante orgánico {}", "saco_50kg", 45, 80, "cacao cafe",
       "Abono orgánico compostado y certificado para uso en fincas orgánicas.",
       ("premium", "granulado", "enriquecido con algas", "para frutales y cacao")),
    _p("abonos_organicos", "Compost de pulpa de café", "saco_50kg", 20, 35, "cafe",
       "Compost maduro elaborado con pulpa de café y estiércol."),
    _p("abonos_organicos", "Humus de lombriz", "saco_50kg", 30, 50, "cacao cafe ganaderia",
       "Humus de lombriz roja californiana, cernido y listo para usar."),
    _p("abonos_organicos", "Biol enriquecido", "litro", 4, 8, "cacao cafe",
       "Abono foliar líquido fermentado; diluir al 10 % antes de aplicar."),
    _p("abonos_organicos", "Bocashi", "saco_50kg", 25, 40, "cacao cafe",
       "Abono orgánico fermentado, de acción rápida."),
    _p("abonos_organicos", "Microorganismos eficientes (EM)", "litro", 12, 25, "cacao cafe",
       "Mejoran la descomposición de la materia orgánica y la vida del suelo."),
    _p("abonos_organicos", "Trichoderma harzianum", "kilogramo", 35, 60, "cacao cafe",
       "Bioinsumo que protege las raíces y acelera el compostaje."),
    _p("abonos_organicos", "Gallinaza compostada", "saco_50kg", 15, 25, "cacao cafe ganaderia",
       "Estiércol de gallina compostado, sin olores."),
    _p("plantones", "Plantones de cacao {} injertados", "unidad", 2.5, 4.5, "cacao",
       "Plantones de vivero certificado, listos para trasplante.", CLONES),
    _p("plantones", "Varetas yemeras de cacao {} (paquete de 10)", "unidad", 10, 20, "cacao",
       "Material de injertación de jardín clonal registrado.", CLONES),
    _p("plantones", "Semilla de cacao para patrón", "kilogramo", 15, 30, "cacao",
       "Semilla seleccionada para producir patrones vigorosos."),
    _p("plantones", "Plantones de café variedad {}", "unidad", 0.8, 1.8, "cafe",
       "Plantones en bolsa, de 6 a 8 meses, libres de nematodos.", COFFEE),
    _p("plantones", "Semilla certificada de café {}", "kilogramo", 40, 90, "cafe",
       "Semilla certificada con alta germinación.", COFFEE),
    _p("plantones", "Plantones forestales de {}", "unidad", 1.5, 4, "cacao cafe madera",
       "Árboles para sombra y madera en sistemas agroforestales.", TREES),
    _p("herramientas", "Tijera de podar profesional {}", "unidad", 45, 140,
       "cacao cafe madera ganaderia", "Hojas de acero forjado, mango ergonómico.",
       ("Bellota", "Felco 2", "Truper", "de doble filo")),
    _p("herramientas", "Serrucho de podar curvo", "unidad", 35, 70, "cacao cafe madera",
       "Para ramas de hasta 10 cm; incluye funda."),
    _p("herramientas", "Podadora de altura telescópica", "unidad", 120, 260, "cacao cafe",
       "Alcanza ramas a 5 m sin escalera."),
    _p("herramientas", "Machete {} de 22 pulgadas", "unidad", 18, 35, "cacao cafe ganaderia",
       "Acero al carbono, mango de polipropileno.", ("Gavilán", "Tramontina", "Incolma")),
    _p("herramientas", "Kit de injertación (navaja, cinta y tijera)", "unidad", 55, 95,
       "cacao cafe", "Todo lo necesario para injertar en campo."),
    _p("herramientas", "Cinta para injertos (rollo)", "unidad", 8, 15, "cacao cafe",
       "Cinta plástica elástica y biodegradable."),
    _p("herramientas", "Mochila fumigadora de 20 litros", "unidad", 120, 260, "cacao cafe",
       "Bomba de palanca con boquillas regulables."),
    _p("herramientas", "Motoguadaña de 43 cc", "unidad", 950, 1400, "cacao cafe ganaderia",
       "Para el deshierbo y el mantenimiento de calles y potreros."),
    _p("riego", "Cinta de riego por goteo (rollo de 500 m)", "unidad", 180, 320, "cacao cafe",
       "Goteros cada 30 cm; ahorra agua en la época seca."),
    _p("riego", "Manguera de polietileno de 1 pulgada (100 m)", "unidad", 120, 200,
       "cacao cafe ganaderia", "Resistente al sol, para conducción de agua."),
    _p("riego", "Tanque de agua de 1100 litros", "unidad", 380, 520, "cacao cafe ganaderia",
       "Tanque tricapa con tapa, para riego y bebederos."),
    _p("riego", "Aspersores de impacto (paquete de 10)", "unidad", 90, 160, "cafe ganaderia",
       "Aspersores de bronce para viveros y pastos."),
    _p("poscosecha", "Cajón de fermentación de cacao {}", "unidad", 350, 650, "cacao",
       "Madera dura sin olor, con drenaje para el mucílago.",
       ("para 500 kg", "de tres compartimentos", "tipo escalera")),
    _p("poscosecha", "Secador solar tipo túnel {}", "unidad", 900, 1800, "cacao cafe",
       "Cubierta de plástico UV y tarimas elevadas.", ("de 6 m", "de 10 m")),
    _p("poscosecha", "Mantas de secado de polietileno (10 m)", "unidad", 60, 110, "cacao cafe",
       "Evitan el contacto del grano con el suelo."),
    _p("poscosecha", "Medidor de humedad para grano de {}", "unidad", 350, 850, "cacao cafe",
       "Lectura en segundos, calibrado de fábrica.", ("cacao", "café")),
    _p("poscosecha", "Sacos de yute para cacao en grano (25 unidades)", "unidad", 90, 140,
       "cacao", "Sacos de 69 kg aptos para exportación."),
    _p("poscosecha", "Bolsas herméticas para café (10 unidades)", "unidad", 120, 180, "cafe",
       "Conservan la calidad del café pergamino durante el almacenamiento."),
    _p("poscosecha", "Despulpadora manual de café", "unidad", 650, 950, "cafe",
       "Capacidad de 300 kg de cereza por hora."),
    _p("control_plagas", "Fungicida cúprico (oxicloruro de cobre)", "kilogramo", 35, 55,
       "cacao cafe", "Preventivo contra la roya y la mazorca negra."),
    _p("control_plagas", "Trampas para broca del café (25 unidades)", "unidad", 60, 95, "cafe",
       "Trampas con atrayente para monitorear y capturar la broca."),
    _p("control_plagas", "Beauveria bassiana para control de broca", "kilogramo", 30, 50,
       "cafe", "Hongo entomopatógeno, apto para café orgánico."),
    _p("control_plagas", "Caldo bordelés preparado", "litro", 10, 18, "cacao cafe",
       "Fungicida tradicional listo para diluir."),
    _p("control_plagas", "Hidróxido de cobre 77 %", "kilogramo", 40, 65, "cacao cafe",
       "Control de enfermedades fungosas en época de lluvias."),
    _p("apicultura", "Colmena Langstroth completa (10 bastidores)", "unidad", 280, 420, "miel",
       "Madera tratada, con piso, techo y alza melaria."),
    _p("apicultura", "Núcleo de abejas con reina fecundada", "unidad", 250, 380, "miel",
       "Cinco bastidores con cría, miel y polen."),
    _p("apicultura", "Ahumador de acero inoxidable", "unidad", 60, 110, "miel",
       "Con protector de calor y fuelle de cuero."),
    _p("apicultura", "Traje de apicultor con velo", "unidad", 120, 220, "miel",
       "Tela gruesa ventilada, velo desmontable."),
    _p("apicultura", "Extractor de miel manual de 4 marcos", "unidad", 900, 1400, "miel",
       "Acero inoxidable grado alimentario."),
    _p("apicultura", "Láminas de cera estampada", "kilogramo", 45, 70, "miel",
       "Cera pura de abeja, sin parafina."),
    _p("apicultura", "Reina fecundada {}", "unidad", 45, 80, "miel",
       "Reinas seleccionadas por mansedumbre y producción.", ("italiana", "carniola")),
    _p("ganaderia_insumos", "Sal mineral con fósforo al 8 %", "saco_50kg", 80, 130,
       "ganaderia", "Suplemento mineral para bovinos en pastoreo."),
    _p("ganaderia_insumos", "Semilla de pasto {}", "kilogramo", 25, 60, "ganaderia",
       "Semilla certificada para potreros y sistemas silvopastoriles.", PASTURES),
    _p("ganaderia_insumos", "Bloque multinutricional para ganado", "unidad", 25, 45,
       "ganaderia", "Energía, proteína y minerales para la época seca."),
    _p("ganaderia_insumos", "Melaza de caña", "litro", 2, 4, "ganaderia",
       "Para ensilajes y suplementación."),
    _p("ganaderia_insumos", "Alambre de púas calibre 16 (400 m)", "unidad", 150, 230,
       "ganaderia", "Para cercas de potreros y cercas vivas."),
    # --- services -----------------------------------------------------------------------
    _p("poda", "Servicio de poda de cacao (jornal)", "jornal", 50, 80, "cacao",
       "Podador con experiencia; lleva sus herramientas desinfectadas."),
    _p("poda", "Poda de mantenimiento de cacao por hectárea", "hectarea", 300, 550, "cacao",
       "Poda de formación, sanitaria y de mantenimiento con cuadrilla."),
    _p("poda", "Poda de renovación de cafetales (zoca) por hectárea", "hectarea", 350, 600,
       "cafe", "Renovación por zoca con selección de brotes."),
    _p("poda", "Podador de café (jornal)", "jornal", 50, 75, "cafe",
       "Poda selectiva y descope de cafetos."),
    _p("injertacion", "Injertación de cacao con clones {} (jornal)", "jornal", 60, 90, "cacao",
       "Injertador certificado; el productor pone las varetas o se cotizan aparte.", CLONES),
    _p("injertacion", "Rehabilitación de cacaotales por injerto lateral", "hectarea", 500, 900,
       "cacao", "Injerto lateral en plantas viejas para recuperar la producción."),
    _p("injertacion", "Injerto de café sobre patrón resistente a nematodos", "jornal", 55, 85,
       "cafe", "Injerto hipocotiledonar en vivero."),
    _p("agroforesteria", "Diseño de sistema agroforestal con {} (visita técnica)", "visita",
       150, 300, "cacao cafe", "Diseño de sombra, densidades y especies forestales.",
       ("cacao", "café")),
    _p("agroforesteria", "Asesoría en sistemas silvopastoriles", "visita", 180, 320,
       "ganaderia", "Cercas vivas, árboles en potreros y bancos forrajeros."),
    _p("agroforesteria", "Establecimiento de sombra con especies nativas", "hectarea", 600,
       950, "cacao cafe madera", "Selección, plantación y manejo de árboles de sombra."),
    _p("agroforesteria", "Plan de manejo forestal de la finca", "visita", 350, 700, "madera",
       "Inventario de árboles y plan de aprovechamiento sostenible."),
    _p("moniliasis", "Control integrado de moniliasis y escoba de bruja (jornal)", "jornal",
       55, 85, "cacao", "Remoción semanal de frutos enfermos y poda sanitaria."),
    _p("moniliasis", "Programa de control de moniliasis por hectárea (3 visitas)", "hectarea",
       280, 480, "cacao", "Diagnóstico, plan de manejo y seguimiento."),
    _p("moniliasis", "Capacitación en manejo de moniliasis", "visita", 150, 260, "cacao",
       "Práctica en la finca para el productor y su familia."),
    _p("certificacion", "Acompañamiento para certificación orgánica", "visita", 250, 500,
       "cacao cafe miel", "Registros, plan orgánico y preparación para la inspección."),
    _p("certificacion", "Preparación para auditoría de Comercio Justo", "visita", 250, 480,
       "cacao cafe miel", "Revisión de requisitos y del sistema de control interno."),
    _p("certificacion", "Georreferenciación de parcelas para el reglamento europeo (EUDR)",
       "hectarea", 25, 60, "cacao cafe madera",
       "Polígonos con GPS y verificación de no deforestación después de 2020."),
    _p("certificacion", "Sistema de control interno para asociaciones", "visita", 400, 800,
       "cacao cafe miel", "Diseño del SCI, inspectores internos y registros."),
    _p("gestion_financiera", "Taller de costos de producción y registros de la finca",
       "visita", 120, 250, "cacao cafe miel ganaderia madera ecoturismo",
       "Aprenda a calcular sus costos y su ganancia por campaña."),
    _p("gestion_financiera", "Asesoría para solicitar crédito agrícola", "visita", 100, 200,
       "cacao cafe miel ganaderia", "Preparamos con usted los papeles que pide la caja."),
    _p("gestion_financiera", "Plan de negocio de la finca", "visita", 250, 450,
       "cacao cafe miel ganaderia ecoturismo", "Proyección de ingresos, inversiones y pagos."),
    _p("analisis_suelo", "Análisis de suelo completo", "unidad", 120, 200,
       "cacao cafe ganaderia madera", "Fertilidad, textura y materia orgánica, con informe."),
    _p("analisis_suelo", "Análisis de suelo con recomendación de abonamiento", "visita", 180,
       300, "cacao cafe ganaderia", "Toma de muestras en la finca y plan de abonamiento."),
    _p("analisis_suelo", "Análisis foliar de cacao", "unidad", 90, 160, "cacao",
       "Estado nutricional de la plantación."),
    _p("analisis_suelo", "Análisis de cadmio en suelo y grano", "unidad", 150, 260, "cacao",
       "Medición de cadmio según los límites de la Unión Europea.", countries="PE CO"),
    _p("asistencia_tecnica", "Asistencia técnica integral en cacao (visita mensual)", "visita",
       120, 220, "cacao", "Plan de campo, poda, sanidad y cosecha."),
    _p("asistencia_tecnica", "Asistencia técnica en café: calidad y catación", "visita", 150,
       260, "cafe", "Mejore su taza: cosecha selectiva, fermentación y secado."),
    _p("asistencia_tecnica", "Asistencia técnica apícola (visita al apiario)", "visita", 100,
       180, "miel", "Revisión sanitaria, manejo de reinas y cosecha de miel."),
    _p("asistencia_tecnica", "Asistencia técnica en ganadería: sanidad y pastos", "visita",
       130, 230, "ganaderia", "Calendario sanitario, rotación de potreros y registros."),
    _p("asistencia_tecnica", "Asesoría en turismo rural comunitario", "visita", 200, 400,
       "ecoturismo", "Rutas, hospedaje y atención al visitante en la finca."),
)
# fmt: on

#: Soles to each currency (rounded demo rates), and the step prices are rounded to.
RATES = {"PEN": 1.0, "MXN": 5.0, "COP": 1100.0, "USD": 0.27}
STEPS = {"PEN": 0.5, "MXN": 5.0, "COP": 1000.0, "USD": 0.5}

#: Extra sentence of the description by delivery mode.
DELIVERY_NOTES = {
    "pickup": "Recójalo en el centro de acopio más cercano.",
    "farm_delivery": "Lo llevamos hasta su finca.",
    "on_farm_service": "El servicio se realiza en su finca.",
}
